import { MeshConfigError } from '@trellis/mesh';

/**
 * A bad option given to a middleware factory or to `startMeshServer`: thrown at setup, never per
 * request. `option` is the option's path (`maxConcurrent`, `drain.delayMs`); `code` is
 * `ERR_INVALID_OPTION`, or `ERR_UNKNOWN_OPTION` for a name the factory does not know.
 */
export class InvalidOptionError extends MeshConfigError {
  readonly option: string;

  constructor(
    option: string,
    problem: string,
    advice: string,
    code: 'ERR_INVALID_OPTION' | 'ERR_UNKNOWN_OPTION' = 'ERR_INVALID_OPTION',
  ) {
    super(
      code,
      code === 'ERR_UNKNOWN_OPTION' ? `Unknown option ${option}` : `Invalid option ${option}`,
      { advice: `${problem}; ${advice}` },
    );
    this.option = option;
  }
}
