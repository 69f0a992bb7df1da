import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { TRPCError } from '@trpc/server';
import type { FastifyRequest } from 'fastify';

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
