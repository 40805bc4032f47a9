// Atomic file writes: the target path holds either its old contents or the complete new ones, never a half
// file, whatever fails midway (an exception, a full disk, a kill -9). Used by safetensors saving, checkpoints
// and the report writer.
//
// How: write a temp file in the target's own folder (rename is only atomic within one filesystem), fsync it,
// rename it over the target, then fsync the folder so the rename itself survives a power cut (best effort:
// not every platform can open a folder). On any error the temp file is closed and removed and the error is
// rethrown with the target's path in its message (the system error stays as `cause`, its `code` is kept).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** What `writeFileAtomic` writes: bytes, text (UTF-8), a list of chunks, or a function that writes them. */
export type AtomicWriteData =
  string | ArrayBufferView | readonly ArrayBufferView[] | ((file: fs.FileHandle) => Promise<void>);

export interface AtomicWriteOptions {
  /** File mode of the new file (before the umask); 0o666 by default, like fs.writeFile. */
  mode?: number;
}

function asBytes(data: ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Writes all of `data` at the file's current end (a short write is continued, never silently dropped).
 * For callers of `writeFileAtomic` that pass a writer function.
 */
export async function writeAll(file: fs.FileHandle, data: ArrayBufferView | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : asBytes(data);
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done);
    if (bytesWritten <= 0) throw new Error(`write made no progress after ${done} of ${bytes.byteLength} bytes`);
    done += bytesWritten;
  }
}

/** The temp file name used for `target`: hidden, in the same folder, unique per process and call. */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a folder, some filesystems refuse fsync on one: the rename is still done.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function wrapError(target: string, error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const wrapped = new Error(`could not write ${target}: ${original.message}`, { cause: original });
  const code = (original as NodeJS.ErrnoException).code;
  if (code !== undefined) (wrapped as NodeJS.ErrnoException).code = code;
  return wrapped;
}

/**
 * Writes `data` to `target` atomically: on success the target has exactly the new contents; on failure it
 * is untouched (old contents or still absent) and no temp file is left behind.
 */
export async function writeFileAtomic(
  target: string,
  data: AtomicWriteData,
  options: AtomicWriteOptions = {},
): Promise<void> {
  if (typeof target !== 'string' || target === '') {
    throw new TypeError(`writeFileAtomic: path must be a non-empty string, got ${typeof target}`);
  }
  const temp = tempPathFor(target);
  let handle: fs.FileHandle | undefined;
  let created = false;
  try {
    handle = await fs.open(temp, 'wx', options.mode ?? 0o666);
    created = true;
    if (typeof data === 'function') {
      await data(handle);
    } else if (Array.isArray(data)) {
      for (const chunk of data as readonly ArrayBufferView[]) await writeAll(handle, chunk);
    } else {
      await writeAll(handle, data as string | ArrayBufferView);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, target);
    created = false;
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    if (created) await fs.rm(temp, { force: true }).catch(() => undefined);
    throw wrapError(target, error);
  }
  await fsyncDirectory(path.dirname(target));
}
