// Loads raw Automerge exports made by `weft export --format automerge` with the JavaScript
// implementation and checks what Weft's CLI says is in them (passed as JSON files).
//   node check.mjs <board.automerge> <tasks.json> <ledger.automerge> <people.automerge> <members.json>
import { readFileSync } from "node:fs";
import * as Automerge from "@automerge/automerge";

const [boardFile, tasksJson, ledgerFile, peopleFile, membersJson] = process.argv.slice(2);
// Weft writes fields that are not edited collaboratively as scalar strings; the JavaScript
// implementation hands those back as ImmutableString objects (collaborative text would be a
// plain JS string), so compare their string values.
const str = (v) => (v === undefined || v === null ? v : v.toString());
const fail = (msg) => {
  console.error(`interop: ${msg}`);
  process.exit(1);
};

const board = Automerge.load(new Uint8Array(readFileSync(boardFile)));
if (str(board.schema) !== "weft/board/1") fail(`board schema is ${board.schema}`);
const tasks = JSON.parse(readFileSync(tasksJson, "utf8"));
for (const t of tasks) {
  const doc = board.tasks[t.id];
  if (!doc) fail(`task ${t.id} missing in the JS view of the board`);
  if (str(doc.title) !== t.title) fail(`task ${t.id}: title '${doc.title}' != '${t.title}'`);
  if (Number(doc.hours) !== t.hours) fail(`task ${t.id}: hours ${doc.hours} != ${t.hours}`);
  if (str(doc.status) !== t.status) fail(`task ${t.id}: status ${doc.status} != ${t.status}`);
}

const ledger = Automerge.load(new Uint8Array(readFileSync(ledgerFile)));
if (str(ledger.schema) !== "weft/ledger/1") fail(`ledger schema is ${ledger.schema}`);
const entries = Object.values(ledger.entries);
if (entries.length === 0) fail("the ledger has no entries");
for (const e of entries) {
  if (!(e.created_at instanceof Date)) fail("created_at is not a timestamp");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(str(e.date))) fail(`bad date ${e.date}`);
}

const people = Automerge.load(new Uint8Array(readFileSync(peopleFile)));
const members = JSON.parse(readFileSync(membersJson, "utf8"));
for (const m of members) {
  const doc = people.members[m.id];
  if (!doc || str(doc.name) !== m.name) fail(`member ${m.name} not readable in JS`);
}
console.log(`interop: JavaScript Automerge read ${tasks.length} tasks, ${entries.length} entries, ${members.length} members as Weft wrote them`);
