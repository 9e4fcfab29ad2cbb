// The DHCPv4 codec's public surface. Pure: bytes in, typed values out, and back (design.md §1.2).
export * from './client-request.js';
export * from './decode.js';
export * from './encode.js';
export * from './fqdn.js';
export * from './layout.js';
export * from './message-type.js';
export * from './message.js';
export { optionInPlace } from './option-area.js';
export * from './options.js';
export * from './pxe-client.js';
export * from './pxe.js';
export * from './raw-option.js';
export * from './reasons.js';
export * from './relay-agent.js';
export * from './reply.js';
export * from './user-class.js';
export { isRfc1123Name } from './text.js';
