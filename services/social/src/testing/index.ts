// What tests and benches outside this package use to stand up social fixtures.
export { createAccount, createStream, follow, TEST_SESSION_SECRET, type TestAccount } from './fixtures.ts';
export { TestChatClient, type Reply } from './chatClient.ts';
