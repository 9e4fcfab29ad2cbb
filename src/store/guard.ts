// Every error a Store method throws is a StoreError with a stable code (design.md §8.6), so the API maps codes
// to statuses and the DHCP server drops with a reason without knowing either driver. The query modules let
// driver errors through; this wraps each of them once, rather than a try/catch in every method.

/** `target` with every method's rejection passed through `translate`. */
export function guarded<T extends object>(target: T, translate: (error: unknown) => Error): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value: unknown = Reflect.get(object, key, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      return async (...args: unknown[]): Promise<unknown> => {
        try {
          // `object`, not the proxy, as `this`: calls between its own methods are not translated twice.
          return await method.apply(object, args);
        } catch (error) {
          throw translate(error);
        }
      };
    },
  });
}
