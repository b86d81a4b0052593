// The real Redis the tests use: database 8, flushed at the start of each test.
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.VILO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/8';

export async function openTestRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  await redis.connect().catch((err: Error) => {
    throw new Error(`Redis is required at ${TEST_REDIS_URL} (scripts/services.sh starts it): ${err.message}`);
  });
  await redis.flushdb();
  return redis;
}
