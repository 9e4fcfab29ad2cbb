// The pcap codec's public surface (design.md §1.2, pure): UDP datagrams over synthesised IPv4 and Ethernet
// headers, written as a classic libpcap file that Wireshark, tshark and tcpdump read.
export * from './checksum.js';
export * from './file.js';
export * from './frame.js';
