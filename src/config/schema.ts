// The whole airgap.yaml. Each top-level section has its own file and schema; add a section by writing
// src/config/<section>.ts and one line here. Unknown top-level keys are errors, so typos surface.
import { z } from 'zod';
import { targetsSchema } from './targets.js';
import { vaultsSchema } from './vaults.js';
import { plansSchema } from './plans.js';

export const configSchema = z.strictObject({
  version: z.literal(1).optional(),
  targets: targetsSchema.default({}),
  vaults: vaultsSchema.default({}),
  plans: plansSchema.default({}),
});

export type AirgapConfig = z.infer<typeof configSchema>;
