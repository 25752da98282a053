// web/dropped-files.js — what a drop or a file picker hands the page, as one list of { file, path }, the path
// relative to what was dropped or picked ('bars/vertical/3.png' for a folder, 'seven.png' for a picture alone).
//
// A browser gives a drop's files in one of two ways, and both feed the same list:
//   - directory entries (DataTransferItem.webkitGetAsEntry: a dropped folder from the desktop), walked here;
//   - File objects, each with its webkitRelativePath when it came from a folder (the folder picker, or a drop
//     the browser gives without entries, as a script-made DataTransfer is), else its name alone.

/** The picture files a browser decodes (createImageBitmap); other files in a folder are left out and counted. */
export const PICTURE = /\.(png|jpe?g|gif|bmp|webp)$/i;

/** Files of a file input or a drop without entries: their paths from webkitRelativePath, or their names. */
export function filesWithPaths(files) {
  return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** Every file under a directory entry (FileSystemEntry: a file, or a folder read batch by batch), with its path. */
export async function entryFiles(entry, path = '') {
  if (entry.isFile) return [{ file: await new Promise((done, fail) => entry.file(done, fail)), path: `${path}${entry.name}` }];
  const reader = entry.createReader();
  const children = [];
  // readEntries gives a folder's entries in batches (Chromium: 100 at a time) until it gives an empty one.
  for (let batch; (batch = await new Promise((done, fail) => reader.readEntries(done, fail))).length > 0; ) children.push(...batch);
  return (await Promise.all(children.map((child) => entryFiles(child, `${path}${entry.name}/`)))).flat();
}

/** A drop's files with their paths: from its directory entries where the browser gives them, else from its files. */
export async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items ?? [])].filter((item) => item.kind === 'file').map((item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.length > 0 && entries.every((entry) => entry !== null)) return (await Promise.all(entries.map((entry) => entryFiles(entry)))).flat();
  return filesWithPaths(dataTransfer.files);
}
