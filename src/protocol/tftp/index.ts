// The TFTP codec's public surface. Pure: bytes in, typed values out, and back (design.md §1.2); option
// negotiation, netascii, block arithmetic and file-name confinement as pure functions for the transfer engine.
export * from './blocks.js';
export * from './error.js';
export * from './limits.js';
export * from './netascii.js';
export * from './options.js';
export * from './packet.js';
export * from './path.js';
export * from './reasons.js';
