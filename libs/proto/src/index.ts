import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/** Absolute path of the repository's `proto/` directory (the buf module). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

/**
 * A @grpc/proto-loader package definition of the given .proto files (paths relative to proto/),
 * used for server reflection. The typed code for handlers and clients is the ts-proto output.
 */
export function loadPackageDefinition(
  files: readonly string[],
  extraIncludeDirs: readonly string[] = [],
): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...files], {
    includeDirs: [PROTO_ROOT, ...extraIncludeDirs],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}
