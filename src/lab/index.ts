// The network lab: namespaces, bridges, veth pairs and taps for real-client tests and `fleetboot lab`.
export { LAB_RANGES, type LabAddress, parseLabAddress } from './address.js';
export { LabError, LabTimeoutError, LabUnavailableError } from './errors.js';
export { type ConnectOptions, type HostOptions, LAB_LIMITS, Lab, type LabOptions } from './lab.js';
export {
  describeExit,
  type ExitStatus,
  LabProcess,
  type OutputStream,
  type WaitForLineOptions,
} from './lab-process.js';
export { listLinks, listNamespaces } from './ip.js';
export { IFNAME_MAX, LAB_PREFIX, type LabTag } from './names.js';
export {
  type ExecOptions,
  type ExecResult,
  Host,
  type HostInterface,
  LabNamespace,
  type RunOptions,
  Switch,
  Tap,
} from './namespace.js';
export { type LabFacts, labUnavailableReason, probeLabFacts } from './preflight.js';
export { DEFAULT_STATE_DIR } from './state.js';
export type { SweepReport, SweptLab } from './sweep.js';
export type { TeardownReport } from './teardown.js';
export {
  cpuHasVirtualization,
  kvmUsable,
  OVMF_CODE,
  OVMF_VARS,
  type QemuClient,
  type QemuOptions,
  startQemu,
} from './qemu.js';
