// The test kit: helpers tests in every package share. Subpaths keep each import light:
// ./postgres, ./media (sfu-node processes, hosts, Redis, synthetic sources), ./clients
// (signaling and sign-in clients, werift viewers), ./web (Chromium, the studio, fleets) and
// ./kube (the control plane and the operator harness).
export { freePort, freePorts } from './ports.ts';
export { waitFor, type WaitOptions } from './wait.ts';
export { TcpBalancer, type Backend } from './net/TcpBalancer.ts';
