import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { DomainError, isDomainError } from '@guardian/domain';
import { TRPCError } from '@trpc/server';
import type { FastifyRequest } from 'fastify';
import { toTRPCError } from '../router/errors.js';

type Raw = Record<string, unknown>;

/**
 * Reads a multipart body: text fields as strings, files as Buffers (stream stops at the size
 * limit). `beforeFiles` runs on the fields read so far when the first file arrives, before any of
 * it is buffered.
 */
export async function readMultipart(
  request: FastifyRequest,
  files: Record<string, string>,
  beforeFiles?: (fields: Raw) => Promise<void>,
): Promise<Raw> {
  try {
    return await readParts(request, files, beforeFiles);
  } catch (error) {
    // The answer goes out now; the rest of the body is read and dropped meanwhile (away from the
    // parser, which stalls with nobody taking its parts), so a client still sending gets the answer
    // instead of a reset connection.
    request.raw.unpipe();
    request.raw.resume();
    throw multipartRefusal(error);
  }
}

/** fastify-multipart's limit codes: too much of something, 413. */
const LIMITS: Record<string, string> = {
  FST_REQ_FILE_TOO_LARGE: 'The file is too large.',
  FST_PARTS_LIMIT: 'The body has too many parts.',
  FST_FILES_LIMIT: 'The body has too many files.',
  FST_FIELDS_LIMIT: 'The body has too many fields.',
};

/**
 * What a client is told when its multipart body cannot be read: over a limit (413 with the limit's
 * reason), or broken (no boundary, cut short, a malformed part header: 400 MALFORMED_MULTIPART),
 * in our words, never the parser's. Refusals already decided (TRPCError, DomainError) pass.
 */
function multipartRefusal(error: unknown): unknown {
  if (error instanceof TRPCError) return error;
  if (isDomainError(error)) return toTRPCError(error);
  const code = (error as { code?: string }).code ?? '';
  if (LIMITS[code])
    return toTRPCError(
      new DomainError(
        'too_large',
        code === 'FST_REQ_FILE_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'TOO_MANY_PARTS',
        LIMITS[code],
      ),
    );
  return toTRPCError(
    new DomainError('invalid', 'MALFORMED_MULTIPART', 'The multipart body could not be read.'),
  );
}

async function readParts(
  request: FastifyRequest,
  files: Record<string, string>,
  beforeFiles?: (fields: Raw) => Promise<void>,
): Promise<Raw> {
  let checked = !beforeFiles;
  const raw: Raw = {};
  const add = (key: string, value: unknown, many: boolean) => {
    if (many) raw[key] = [...((raw[key] as unknown[] | undefined) ?? []), value];
    else raw[key] = value;
  };
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const file = part as MultipartFile;
      const target = files[file.fieldname];
      if (!target) {
        file.file.resume();
        throw new TRPCError({ code: 'BAD_REQUEST', message: `unexpected file field "${file.fieldname}"` });
      }
      if (!checked) {
        await beforeFiles!(raw);
        checked = true;
      }
      const buffer = await file.toBuffer();
      add(target.replace('[]', ''), buffer, target.endsWith('[]'));
    } else {
      const field = part as MultipartValue<string>;
      add(field.fieldname, field.value, false);
    }
  }
  return raw;
}
