import { describe, expect, it } from 'vitest';
import { parseBiometricsConfig } from '../config.js';
import { cascadeName, parseDetectorCascade } from './face-pipeline.js';

describe('detector cascades', () => {
  it('parses tiny, tiny:<size> and ssd in order, and names them', () => {
    const steps = parseDetectorCascade('tiny:320, ssd,tiny');
    expect(steps).toEqual([{ detector: 'tiny', inputSize: 320 }, { detector: 'ssd' }, { detector: 'tiny' }]);
    expect(cascadeName(steps, 416)).toBe('tiny320+ssd+tiny416');
  });

  it('refuses unknown detectors, bad sizes, sizes on ssd and more than three steps', () => {
    for (const bad of ['', 'mtcnn', 'tiny:300', 'tiny:2048', 'ssd:320', 'tiny,ssd,tiny:256,ssd'])
      expect(() => parseDetectorCascade(bad), bad).toThrow();
  });

  it('is what the configuration holds, and a bad value names its variable', () => {
    const env = { MONGO_URL: 'mongodb://x', NATS_URL: 'nats://x' };
    const config = parseBiometricsConfig(env);
    expect(cascadeName(config.BIOMETRICS_DETECTOR_VERIFY)).toBe('tiny320+ssd+tiny256');
    expect(cascadeName(config.BIOMETRICS_DETECTOR_DETECT)).toBe('ssd+tiny320');
    expect(() => parseBiometricsConfig({ ...env, BIOMETRICS_DETECTOR_VERIFY: 'mtcnn' })).toThrow(
      /BIOMETRICS_DETECTOR_VERIFY/,
    );
  });
});
