import pino, { type Logger } from 'pino';

/** Structured JSON logs. Secrets are redacted wherever they could appear. */
export function createLogger(level: string, name = 'vilokanam'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'token',
        'streamKey',
        '*.token',
        '*.streamKey',
        'data.token',
      ],
      censor: '[redacted]',
    },
  });
}
