// A provisioning step of `npm run setup:cloud`: one cloud resource (tables, the bus, the bucket's rules) that
// says what is missing (plan) and creates or fixes it (apply); applying twice is harmless.

export interface SetupStep {
  /** Short and stable, e.g. `tablestore tables`: the prefix of every line about this step. */
  name: string;
  /** What apply would change, one human-readable line each; empty when the resource is as it should be. */
  plan(): Promise<string[]>;
  /** Makes the resource as it should be. */
  apply(): Promise<void>;
}
