/** The slice of pino's API the runtime logs through (object first, then message); a pino Logger fits. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => {};

/** A Logger that drops everything: the default when none is injected. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
