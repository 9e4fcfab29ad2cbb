// What `fleetboot init` needs, in one place for the CLI: find the provisioning interface, then render the file.
export {
  chooseInitInterface,
  detectInterfaces,
  interfacesFromOs,
  parseDefaultRouteInterfaces,
  type InitInterface,
  type InitInterfaceChoice,
  type InterfaceCandidate,
} from './interfaces.js';
export { renderStarterConfig, type StarterConfigOptions } from './starter.js';
