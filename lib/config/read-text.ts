/**
 * Reading a text file a person named (pipelines file, scenario), with what went wrong as
 * a sentence rather than a raw OS error (`EISDIR: illegal operation on a directory, read`).
 */
import { readFileSync } from "node:fs";

/** What a file system error code means for the person who named the path. */
export const FS_ERROR_REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the path is too long",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EMFILE: "too many open files",
  EIO: "an input/output error on the device",
};

/** `err` (a file system error) as a sentence; its message without the code otherwise. */
export function fsErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const known = typeof e?.code === "string" ? FS_ERROR_REASONS[e.code] : undefined;
  if (known !== undefined) return known;
  const message = err instanceof Error ? err.message : String(err);
  // "EXDEV: cross-device link not permitted, rename 'a' -> 'b'": the words only.
  return message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*$/, "");
}

/** A file that cannot be read as text; `reason` is a sentence (see fsErrorReason). */
export class TextFileError extends Error {
  override readonly name = "TextFileError";
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The file's text (UTF-8, a leading byte order mark dropped).
 * @throws TextFileError when it cannot be read, or holds binary data (a NUL byte or bytes
 * that are not UTF-8): YAML and JSON files are text
 */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TextFileError(fsErrorReason(err), { cause: err });
  }
  const nul = bytes.indexOf(0);
  let text: string | undefined;
  try {
    text = nul === -1 ? UTF8.decode(bytes) : undefined;
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    throw new TextFileError("it is not a text file (it holds binary data); expected YAML or JSON");
  }
  return text.replace(/^\uFEFF/, "");
}
