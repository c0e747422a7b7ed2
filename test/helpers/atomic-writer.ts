// Child process for the atomic-write test: rewrites one file forever with 8 MB blocks of one
// repeated byte value, until it is killed.
import { writeFileAtomic } from '../../src/core/fs.js';

const file = process.argv[2];
let v = 1;
process.stdout.write('ready\n');
for (;;) {
  writeFileAtomic(file, Buffer.alloc(8 * 1024 * 1024, v));
  v = (v % 250) + 1;
}
