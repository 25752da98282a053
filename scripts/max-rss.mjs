/**
 * Preloaded into a command by scripts/hostile-inputs.mjs (`node --import ./scripts/max-rss.mjs …`): when the
 * process exits, however it exits, its peak resident memory (kilobytes, from getrusage) goes into the file
 * named by XCNN_MAX_RSS_FILE. Nothing else changes.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.XCNN_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
