export { AuthClient, newPair, sign, type Reply as HttpReply } from './AuthClient.ts';
export { createTestAccount } from './accounts.ts';
export { NodeViewer, type NodeViewerEvents, type NodeViewerStats } from './NodeViewer.ts';
export { parseVp8, type Vp8Info } from './vp8.ts';
export { WeriftReceiver, weriftCapabilities, type ReceiverEvents, type ReceiverStats } from './WeriftReceiver.ts';
export { WsTestClient, type Reply } from './WsTestClient.ts';
