import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { OmnichatError } from '../domain/errors';
import { contentDisposition, type AttachmentStore } from '../domain/uploads';

/**
 * The attachment bucket. Upload URLs sign the content type and the exact content length, so S3
 * refuses any other body (and the bucket is private: a URL is the only way in). Download links
 * name the file for the browser.
 */
export class S3Attachments implements AttachmentStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async presignUpload(input: { key: string; contentType: string; size: number; expiresInSeconds: number }): Promise<{ url: string; headers: Record<string, string>; expiresAt: string }> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: input.key, ContentType: input.contentType, ContentLength: input.size });
    const now = this.clock();
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: input.expiresInSeconds,
      signingDate: now,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return { url, headers: { 'content-type': input.contentType }, expiresAt: new Date(now.getTime() + input.expiresInSeconds * 1000).toISOString() };
  }

  presignDownload(key: string, name: string | undefined, expiresInSeconds: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(name ? { ResponseContentDisposition: contentDisposition(name) } : {}) });
    return getSignedUrl(this.s3, command, { expiresIn: expiresInSeconds, signingDate: this.clock() });
  }

  async head(key: string): Promise<{ size: number; contentType: string } | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (error instanceof NotFound || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
      throw error;
    }
  }

  async read(key: string, maxBytes: number): Promise<{ body: Uint8Array; contentType: string }> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if ((object.ContentLength ?? 0) > maxBytes) {
      await object.Body?.transformToByteArray().catch(() => undefined);
      throw new OmnichatError(`The attachment is larger than ${maxBytes} bytes.`, { code: 'file_too_large', status: 413 });
    }
    if (!object.Body) throw new OmnichatError('The attachment has no content.', { code: 'attachment_missing', status: 409 });
    return { body: await object.Body.transformToByteArray(), contentType: object.ContentType ?? 'application/octet-stream' };
  }
}
