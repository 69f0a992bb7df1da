import { loadConfigOrExit, serviceEnv, z } from '@guardian/config';

/** Every variable biometrics reads (the only reader of process.env). Documented in README.md. */
export const biometricsSchema = z.object({
  ...serviceEnv({ db: 'guardian_biometrics', grpcPort: 50052, metricsPort: 9452 }),
  /** JSON array of Ed25519 private JWKs with kid that sign face assertions; the first signs, all verify. */
  BIOMETRICS_ASSERTION_KEYS: z.string().optional(),
  /** Where a development assertion key is generated and kept when no keys are configured. */
  BIOMETRICS_DEV_KEY_FILE: z.string().default('.data/biometrics/dev-assertion-keys.json'),
});

export type BiometricsConfig = z.infer<typeof biometricsSchema>;

export const loadBiometricsConfig = () => loadConfigOrExit('biometrics', biometricsSchema);
