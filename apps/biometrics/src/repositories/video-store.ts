/**
 * Where uploaded video bytes live. The service sees only `VideoStore`; `GridFsVideoStore` keeps each
 * appended part as its own GridFS file (bucket `video_files`, id `<videoId>.<offset>`), so an upload
 * resumes by appending the next part and a read concatenates the parts in offset order. An
 * S3-compatible store would implement the same four calls with a multipart upload.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mongoose, { type Connection } from 'mongoose';

export interface VideoStore {
  /** Stores `bytes` as the part starting at `offset` (replacing a part left there by a failed try). */
  putPart(videoId: string, offset: number, bytes: Uint8Array): Promise<void>;
  /** The first `length` bytes of the stored video (container sniffing). */
  head(videoId: string, length: number): Promise<Buffer>;
  /** Writes the video's first `size` bytes to a local file (ffprobe and ffmpeg read files). */
  copyTo(videoId: string, size: number, file: string): Promise<void>;
  /** Deletes every part. */
  remove(videoId: string): Promise<void>;
}

const partId = (videoId: string, offset: number) => `${videoId}.${String(offset).padStart(13, '0')}`;

export class GridFsVideoStore implements VideoStore {
  private bucketInstance: mongoose.mongo.GridFSBucket | undefined;

  constructor(private readonly connection: Connection) {}

  private get bucket(): mongoose.mongo.GridFSBucket {
    if (!this.connection.db) throw new Error('MongoDB connection is not open');
    this.bucketInstance ??= new mongoose.mongo.GridFSBucket(this.connection.db, {
      bucketName: 'video_files',
      chunkSizeBytes: 1024 * 1024,
    });
    return this.bucketInstance;
  }

  async putPart(videoId: string, offset: number, bytes: Uint8Array): Promise<void> {
    const id = partId(videoId, offset);
    await this.bucket.delete(id as never).catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      const upload = this.bucket.openUploadStreamWithId(id as never, id, {
        metadata: { videoId, offset, length: bytes.byteLength },
      });
      upload.once('error', reject);
      upload.once('finish', () => resolve());
      upload.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
  }

  /** Parts in offset order, each starting where the previous ended, up to `size` bytes. */
  private async parts(videoId: string, size: number) {
    const files = await this.bucket
      .find({ 'metadata.videoId': videoId })
      .sort({ 'metadata.offset': 1 })
      .toArray();
    const chain: Array<{ id: string; length: number }> = [];
    let at = 0;
    for (const file of files) {
      const offset = Number(file.metadata?.offset);
      if (offset !== at || at >= size) continue;
      chain.push({ id: String(file._id), length: Math.min(file.length, size - at) });
      at += file.length;
    }
    return chain;
  }

  private stream(videoId: string, size: number): Readable {
    return Readable.from(this.bytes(videoId, size));
  }

  private async *bytes(videoId: string, size: number): AsyncGenerator<Buffer> {
    for (const part of await this.parts(videoId, size)) {
      let left = part.length;
      for await (const chunk of this.bucket.openDownloadStream(part.id as never)) {
        const piece = (chunk as Buffer).subarray(0, left);
        left -= piece.length;
        if (piece.length) yield piece;
        if (left <= 0) break;
      }
    }
  }

  async head(videoId: string, length: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of this.stream(videoId, length)) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      if (got >= length) break;
    }
    return Buffer.concat(chunks).subarray(0, length);
  }

  async copyTo(videoId: string, size: number, file: string): Promise<void> {
    await pipeline(this.stream(videoId, size), createWriteStream(file));
  }

  async remove(videoId: string): Promise<void> {
    const files = await this.bucket.find({ 'metadata.videoId': videoId }).toArray();
    for (const file of files) await this.bucket.delete(file._id).catch(() => undefined);
  }
}
