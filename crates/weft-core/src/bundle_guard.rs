//! A strict pre-check of an Automerge chunk received from a peer (a bundle of changes, or one
//! change): how large does it become once inflated, and how many rows do its columns expand to?
//!
//! Automerge (0.12) trusts both. It inflates a bundle's DEFLATE-compressed columns, and a
//! compressed change chunk, into memory with no limit, so a small chunk could inflate to
//! gigabytes (a deflate bomb). And it expands run-length-encoded columns with no limit: a
//! 23-byte bundle whose op-counter column is one run of 2^33 makes it allocate 64 GiB while
//! parsing; a 69-byte change chunk whose columns are runs of 2^33 keeps it reading ops for 20
//! minutes (runs may be 2^63 long), and one op with 2^31 predecessors, 74 bytes, has it collect
//! them until memory runs out. It trusts some numbers in the columns too: a bundle's count of an
//! op's predecessors or of a change's dependencies, and its actor indexes, each size an
//! allocation (an actor index of 2^32 - 1 asks for 32 GiB). Running out of memory aborts the
//! process; `catch_unwind` cannot help. And `Change::from_bytes` reads whatever chunk it is
//! handed, a bundle or a whole document too, before it says that it is not a change.
//!
//! So before the bytes reach Automerge, [`check`] (for a bundle) and [`check_change`] (for a
//! change chunk, of that type only) walk the chunk's layout with their own strict little parser.
//! Compressed parts are inflated a buffer at a time, stopping as soon as the total would pass
//! [`MAX_BUNDLE_INFLATED`]; only one column (or one change) is held inflated at once. Then each
//! column's runs are walked, adding up the rows they encode run by run (never row by row), and a
//! column of more than [`MAX_BUNDLE_ROWS`] rows is refused, as is a group column whose counts add
//! up to more, or an actor index past the chunk's actor ids.
//!
//! The layout (Automerge's storage format):
//! - the chunk header: the 4 magic bytes, a 4-byte checksum, the chunk type (1 byte: 1 a
//!   change, 2 a compressed change, 3 a bundle), the LEB128 length of the data, then exactly that
//!   many data bytes, and nothing after;
//! - a bundle's data: a LEB128 count of change hashes (32 bytes each), a LEB128 count of actor
//!   ids (each a LEB128 length and that many bytes); then twice (the changes' columns, then the
//!   ops' columns): a LEB128 count of columns, per column a LEB128 u32 specification and a LEB128
//!   u64 length, then the columns' data, one after the other. A column whose specification has
//!   bit `0b1000` set is raw DEFLATE;
//! - a change's data: the change hashes it depends on (as above), its actor id (a LEB128 length
//!   and the bytes), LEB128 sequence number and start op, a signed LEB128 timestamp, a message (a
//!   LEB128 length and UTF-8), the other actor ids (as in a bundle), one section of op columns
//!   (as in a bundle, never compressed), then any extra bytes to the end. A compressed change's
//!   data is that, deflated as a whole.
//!
//! A column's encoding is the low three bits of its specification:
//! - 0 group counts, 1 actor indexes, 2 unsigned integers, 6 value metadata: run-length encoded
//!   unsigned LEB128 numbers; 3 deltas: run-length encoded signed LEB128 numbers; 5 strings:
//!   run-length encoded strings (a LEB128 length, then that many bytes of UTF-8). Each run starts
//!   with a signed LEB128 count n: n > 0, a run of n copies of the one value that follows; n < 0,
//!   -n values follow one after the other; n = 0, a run of nulls, whose length follows (unsigned);
//! - 4 booleans: unsigned LEB128 run lengths, alternately of false and true, false first;
//! - 7 values: raw bytes, no rows of their own (the value metadata says how they divide up).
//!
//! A group column's counts say how many rows of its group's columns belong to each row (an op's
//! predecessors, a change's dependencies), and Automerge reserves room for each count before it
//! reads those rows (in a bundle), or reads that many (in a change): the sum of a group column's
//! counts is held to the same cap as its rows.
//!
//! This does not check that the columns make sense together (Automerge does that next: that a
//! bundle's changes claim as many ops as it holds, for one; a change claiming ops it does not
//! hold costs it nothing), nor the checksum; it bounds what Automerge will inflate and expand.
//! It is stricter than Automerge in a few places an honest Automerge never goes near: no bytes
//! after the chunk or inside a bundle after the op columns; each compressed part one complete
//! DEFLATE stream with nothing after it; no redundant bytes in a LEB128 number; a change's
//! actor indexes within its actor ids too (Automerge reads one past them, and panics later, in
//! `Change::decode`); a string column's strings UTF-8 (Automerge 0.12 reads a bundle's strings
//! into `&str`s without checking that they are).

use flate2::{Decompress, FlushDecompress, Status};

/// The most a received chunk may become once its compressed parts are inflated: 64 MiB.
///
/// A frame is at most 8 MiB on the wire, and a sender puts at most 6 MiB of changes (counted as
/// Automerge's individually encoded changes) in one frame's bundle. A bundle stores less than
/// the changes one by one, not more: a year of a 60-member community's board (7,556 changes,
/// 0.26 MB as a bundle) inflates to 1.3 MB, against 2.4 MB for its changes encoded one by one
/// (the test `a_year_of_a_board_inflates_to_a_plausible_size` measures it). So an honest
/// bundle inflates to less than 6 MiB; 64 MiB leaves ten times that as headroom (for other
/// shapes of history, or a future sender with bigger frames) while refusing a bomb long before
/// it hurts a laptop. A single change is never more than a frame's worth of changes, so the
/// same cap holds a compressed change chunk.
pub const MAX_BUNDLE_INFLATED: usize = 64 * 1024 * 1024;

/// The most rows one column of a received chunk may encode, and the most a group column may
/// count: 2^20, about a million.
///
/// A year of a 60-member community's board is 7,556 changes holding 42,147 ops, 2.41 MB as
/// changes encoded one by one (57 bytes an op). A bundle's longest columns are its op columns,
/// one row per op (next come its changes' 14,739 dependencies; the test
/// `a_year_of_a_board_inflates_to_a_plausible_size` measures both). A sender puts at most 6 MiB
/// of changes in one frame's bundle: about 110,000 ops at that rate. 2^20 leaves ten times that
/// as headroom, for denser histories (an op is a map write, its key alone a few bytes), while a
/// hostile chunk can make Automerge read at most a million rows a column: a 95-byte bundle of
/// 2^20 ops costs it about 0.3 s and 20 MB in a release build (the test
/// `a_bundle_at_the_cap_is_read_and_one_row_more_is_not` builds one), where one run of 2^33
/// made it allocate 64 GiB. A single change is never more than a frame's worth of changes, so
/// the same cap holds a change chunk's op columns.
pub const MAX_BUNDLE_ROWS: u64 = 1 << 20;

/// The most columns a chunk may list in each of its sections. Automerge writes a dozen or two;
/// the limit only keeps a hostile count from making us loop.
pub const MAX_COLUMNS: usize = 64;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Automerge's chunk types.
const CHUNK_TYPE_DOCUMENT: u8 = 0;
const CHUNK_TYPE_CHANGE: u8 = 1;
const CHUNK_TYPE_COMPRESSED_CHANGE: u8 = 2;
const CHUNK_TYPE_BUNDLE: u8 = 3;
const HASH_LEN: usize = 32;
const DEFLATE_BIT: u32 = 0b1000;
/// The column encodings, the low three bits of a specification, that the walk tells apart.
const ENCODING_MASK: u32 = 0b111;
const GROUP: u32 = 0;
const ACTOR: u32 = 1;
const DELTA: u32 = 3;
const BOOLEAN: u32 = 4;
const STRING: u32 = 5;
const RAW: u32 = 7;
/// How much data is inflated at once before it is counted (and kept).
const INFLATE_BUFFER: usize = 32 * 1024;

/// The limits a chunk is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes its data may become once inflated (its header not counted).
    pub inflated: usize,
    /// The most rows one column may encode, and the most a group column may count.
    pub rows: u64,
}

impl Limits {
    /// [`MAX_BUNDLE_INFLATED`] and [`MAX_BUNDLE_ROWS`].
    pub const DEFAULT: Limits = Limits { inflated: MAX_BUNDLE_INFLATED, rows: MAX_BUNDLE_ROWS };
}

/// What the guard measured of a chunk it let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// The chunk's data once its compressed parts are inflated (its header not counted).
    pub inflated: usize,
    /// The most rows of any of a bundle's change columns, or counted by one of its group
    /// columns: its changes, or all their dependencies if more. Zero for a change chunk.
    pub change_rows: u64,
    /// The same for the op columns: the ops, or all their predecessors if more.
    pub op_rows: u64,
}

/// Why a chunk was refused before Automerge saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("the chunk ends inside its {0}")]
    Truncated(&'static str),
    #[error("the chunk does not start with Automerge's magic bytes")]
    NotAChunk,
    #[error("the chunk is of type {found}, not {wanted}")]
    WrongChunkType { found: u8, wanted: &'static str },
    #[error("the chunk's {0} is not a well-formed LEB128 number")]
    BadNumber(&'static str),
    #[error("the chunk's {what} claims {claimed} bytes where only {left} remain")]
    TooLong { what: &'static str, claimed: u64, left: usize },
    #[error("the chunk lists {count} {what}, more than {max}")]
    TooMany { what: &'static str, count: u64, max: u64 },
    #[error("{0} unexpected bytes follow the chunk's contents")]
    TrailingBytes(usize),
    #[error("a compressed part of the chunk is not one complete DEFLATE stream")]
    BadDeflate,
    #[error("the chunk would inflate to more than {cap} bytes")]
    TooLarge { cap: usize },
    #[error("the change's op column {spec:#x} is compressed, which a change's columns never are")]
    CompressedColumn { spec: u32 },
    #[error("the chunk's {section}: column {spec:#x} is not well-formed: {why}")]
    BadColumn { section: &'static str, spec: u32, why: &'static str },
    #[error("the chunk's {section}: column {spec:#x} encodes more than {max} rows")]
    TooManyRows { section: &'static str, spec: u32, max: u64 },
    #[error("the chunk's {section}: group column {spec:#x} counts more than {max} rows of its group")]
    TooManyGrouped { section: &'static str, spec: u32, max: u64 },
}

/// Checks a bundle against [`Limits::DEFAULT`].
pub fn check(bytes: &[u8]) -> Result<Shape, GuardError> {
    inspect_bundle(bytes, Limits::DEFAULT)
}

/// Checks a change chunk (compressed or not) against [`Limits::DEFAULT`].
pub fn check_change(bytes: &[u8]) -> Result<Shape, GuardError> {
    inspect_change(bytes, Limits::DEFAULT)
}

/// Checks that a saved document is one whole-document chunk (type 0) and nothing else, as
/// `Automerge::save` writes it. `Automerge::load` reads any run of chunks, bundles and changes
/// among them, which it expands without the limits above (a 239-byte bundle in a damaged
/// snapshot made it allocate 2 GiB): those are refused here. The document's own columns are
/// not walked.
pub fn check_document(bytes: &[u8]) -> Result<(), GuardError> {
    match chunk(bytes)? {
        (CHUNK_TYPE_DOCUMENT, _) => Ok(()),
        (found, _) => Err(GuardError::WrongChunkType { found, wanted: "a whole document (0)" }),
    }
}

/// Walks a bundle: its shape, or why it is refused (malformed, or past a limit).
pub fn inspect_bundle(bytes: &[u8], limits: Limits) -> Result<Shape, GuardError> {
    let (chunk_type, data) = chunk(bytes)?;
    if chunk_type != CHUNK_TYPE_BUNDLE {
        return Err(GuardError::WrongChunkType { found: chunk_type, wanted: "a bundle (3)" });
    }
    let mut walk = Walk::new(limits);
    // Everything counts as it is, but for compressed columns, which count as they inflate.
    walk.size.add(data.len())?;
    let mut r = Reader(data);
    let deps = r.count("change hashes", HASH_LEN)?;
    // `count` checked deps × HASH_LEN against the input.
    r.take(deps.saturating_mul(HASH_LEN), "change hashes")?;
    let actors = actors(&mut r)?;
    let change_rows = walk.section(&mut r, "change columns", actors, true)?;
    let op_rows = walk.section(&mut r, "op columns", actors, true)?;
    if !r.0.is_empty() {
        return Err(GuardError::TrailingBytes(r.0.len()));
    }
    Ok(Shape { inflated: walk.size.total, change_rows, op_rows })
}

/// Walks a change chunk, compressed (deflated as a whole) or not: its shape, or why it is
/// refused. Any other chunk is refused: Automerge's `Change::from_bytes` would parse a bundle
/// or a whole document as readily, only to say afterwards that it is not a change.
pub fn inspect_change(bytes: &[u8], limits: Limits) -> Result<Shape, GuardError> {
    let (chunk_type, data) = chunk(bytes)?;
    let mut walk = Walk::new(limits);
    let mut inflated = Vec::new();
    let data = match chunk_type {
        CHUNK_TYPE_CHANGE => {
            walk.size.add(data.len())?;
            data
        }
        CHUNK_TYPE_COMPRESSED_CHANGE => {
            inflate(data, &mut walk.size, &mut walk.inflater, &mut inflated)?;
            &inflated[..]
        }
        found => return Err(GuardError::WrongChunkType { found, wanted: "a change (1, or 2 compressed)" }),
    };
    let mut r = Reader(data);
    let deps = r.count("change hashes", HASH_LEN)?;
    r.take(deps.saturating_mul(HASH_LEN), "change hashes")?;
    let n = r.length("actor id length")?;
    r.take(n, "actor id")?;
    r.number("sequence number")?;
    r.number("start op")?;
    r.signed("timestamp")?;
    let n = r.length("message length")?;
    r.take(n, "message")?;
    // The change's own actor is actor 0, the others follow.
    let actors = actors(&mut r)? + 1;
    let op_rows = walk.section(&mut r, "op columns", actors, false)?;
    // What is left are the change's extra bytes.
    Ok(Shape { inflated: walk.size.total, change_rows: 0, op_rows })
}

/// The chunk's type and data, once its header is read and nothing is found after it.
fn chunk(bytes: &[u8]) -> Result<(u8, &[u8]), GuardError> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len(), "magic bytes")? != MAGIC {
        return Err(GuardError::NotAChunk);
    }
    r.take(4, "checksum")?;
    let chunk_type = r.take(1, "chunk type")?.first().copied().ok_or(GuardError::Truncated("chunk type"))?;
    let len = r.length("data length")?;
    let data = r.take(len, "data")?;
    if !r.0.is_empty() {
        return Err(GuardError::TrailingBytes(r.0.len()));
    }
    Ok((chunk_type, data))
}

/// A LEB128 count of actor ids, each a LEB128 length and that many bytes; returns the count.
fn actors(r: &mut Reader<'_>) -> Result<u64, GuardError> {
    let actors = r.count("actor ids", 1)?;
    for _ in 0..actors {
        let n = r.length("actor id length")?;
        r.take(n, "actor ids")?;
    }
    Ok(actors as u64)
}

/// The state of one chunk's walk: its limits, the running inflated size, and the inflater and
/// buffer reused from one compressed column to the next.
struct Walk {
    rows: u64,
    size: Size,
    /// Made when the first compressed part comes (most changes have none).
    inflater: Option<Decompress>,
    column: Vec<u8>,
}

impl Walk {
    fn new(limits: Limits) -> Self {
        Walk { rows: limits.rows, size: Size { total: 0, cap: limits.inflated }, inflater: None, column: Vec::new() }
    }

    /// One section's column metadata and data, whose actor columns index `actors` actor ids;
    /// returns the most rows one of its columns encodes (or counts, for a group column).
    fn section(
        &mut self,
        r: &mut Reader<'_>,
        section: &'static str,
        actors: u64,
        deflate: bool,
    ) -> Result<u64, GuardError> {
        let count = r.number(section)?;
        if count > MAX_COLUMNS as u64 {
            return Err(GuardError::TooMany { what: section, count, max: MAX_COLUMNS as u64 });
        }
        let mut specs = [(0u32, 0usize); MAX_COLUMNS];
        let mut total = 0usize;
        for spec in specs.iter_mut().take(count as usize) {
            let raw = r.number("column specification")?;
            let raw = u32::try_from(raw).map_err(|_| GuardError::BadNumber("column specification"))?;
            let len = r.length("column length")?;
            total = total.checked_add(len).ok_or(GuardError::TooLong {
                what: section,
                claimed: u64::MAX,
                left: r.0.len(),
            })?;
            *spec = (raw, len);
        }
        if total > r.0.len() {
            return Err(GuardError::TooLong { what: section, claimed: total as u64, left: r.0.len() });
        }
        let mut most = 0;
        for &(spec, len) in specs.iter().take(count as usize) {
            let data = r.take(len, section)?;
            let rows = if spec & DEFLATE_BIT == 0 {
                rows(data, spec, self.rows, actors)
            } else if deflate {
                // The compressed bytes were counted with the rest: count what they inflate to
                // instead.
                self.size.remove(len);
                inflate(data, &mut self.size, &mut self.inflater, &mut self.column)?;
                rows(&self.column, spec, self.rows, actors)
            } else {
                return Err(GuardError::CompressedColumn { spec });
            };
            most = most.max(rows.map_err(|fault| fault.at(section, spec & !DEFLATE_BIT, self.rows))?);
        }
        Ok(most)
    }
}

/// Inflates `data` (raw DEFLATE) into `out` (emptied first) a buffer at a time, counting it,
/// and stops as soon as the total passes the cap: `out` never holds more than the cap.
fn inflate(
    data: &[u8],
    size: &mut Size,
    inflater: &mut Option<Decompress>,
    out: &mut Vec<u8>,
) -> Result<(), GuardError> {
    let mut buffer = [0u8; INFLATE_BUFFER];
    let inflater = inflater.get_or_insert_with(|| Decompress::new(false));
    inflater.reset(false);
    out.clear();
    let mut counted = 0u64;
    loop {
        let consumed = inflater.total_in();
        let input = usize::try_from(consumed).ok().and_then(|at| data.get(at..)).ok_or(GuardError::BadDeflate)?;
        let status =
            inflater.decompress(input, &mut buffer, FlushDecompress::None).map_err(|_| GuardError::BadDeflate)?;
        let produced = inflater.total_out() - counted;
        counted = inflater.total_out();
        let produced = usize::try_from(produced).map_err(|_| GuardError::TooLarge { cap: size.cap })?;
        size.add(produced)?;
        out.extend_from_slice(buffer.get(..produced).ok_or(GuardError::BadDeflate)?);
        match status {
            Status::StreamEnd if inflater.total_in() == data.len() as u64 => return Ok(()),
            // Bytes after the end of the DEFLATE stream.
            Status::StreamEnd => return Err(GuardError::BadDeflate),
            // No progress: the stream stops before its end.
            Status::Ok | Status::BufError if produced == 0 && inflater.total_in() == consumed => {
                return Err(GuardError::BadDeflate);
            }
            Status::Ok | Status::BufError => {}
        }
    }
}

/// Why a column was refused, before we know which one it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Malformed(&'static str),
    Rows,
    Grouped,
}

impl Fault {
    fn at(self, section: &'static str, spec: u32, max: u64) -> GuardError {
        match self {
            Fault::Malformed(why) => GuardError::BadColumn { section, spec, why },
            Fault::Rows => GuardError::TooManyRows { section, spec, max },
            Fault::Grouped => GuardError::TooManyGrouped { section, spec, max },
        }
    }

    /// A number in a column that does not read.
    fn number(e: GuardError) -> Fault {
        match e {
            GuardError::Truncated(_) => Fault::Malformed("it ends inside a run"),
            _ => Fault::Malformed("a number in it is not well-formed LEB128"),
        }
    }
}

/// How many rows a column encodes, or for a group column how many rows of its group it counts
/// if that is more, walking its runs (a run of any length costs the same); refused past `max`,
/// or if it is an actor column with an index past `actors`.
fn rows(data: &[u8], spec: u32, max: u64, actors: u64) -> Result<u64, Fault> {
    let encoding = spec & ENCODING_MASK;
    let mut r = Reader(data);
    let mut rows = Count { total: 0, max, over: Fault::Rows };
    let mut grouped = Count { total: 0, max, over: Fault::Grouped };
    match encoding {
        RAW => {}
        BOOLEAN => {
            while !r.0.is_empty() {
                rows.add(r.number("run length").map_err(Fault::number)?)?;
            }
        }
        _ => {
            while !r.0.is_empty() {
                let n = r.signed("run length").map_err(Fault::number)?;
                let len = n.unsigned_abs();
                if n > 0 {
                    // A run of one value.
                    rows.add(len)?;
                    let value = value(&mut r, encoding, actors)?;
                    if encoding == GROUP {
                        grouped.add(len.checked_mul(value).ok_or(Fault::Grouped)?)?;
                    }
                } else if n < 0 {
                    // Values one after the other, each at least a byte.
                    if len > r.0.len() as u64 {
                        return Err(Fault::Malformed("a run of values is longer than the column"));
                    }
                    rows.add(len)?;
                    for _ in 0..len {
                        let value = value(&mut r, encoding, actors)?;
                        if encoding == GROUP {
                            grouped.add(value)?;
                        }
                    }
                } else {
                    // A run of nulls.
                    rows.add(r.number("run length").map_err(Fault::number)?)?;
                }
            }
        }
    }
    Ok(rows.total.max(grouped.total))
}

/// Reads one value of a run-length encoded column: an unsigned number (returned), a signed one,
/// or a string. An actor index must be one of the chunk's `actors` (Automerge trusts it to size
/// a table of actors: an index of 2^32 - 1 makes it allocate 32 GiB).
fn value(r: &mut Reader<'_>, encoding: u32, actors: u64) -> Result<u64, Fault> {
    match encoding {
        ACTOR => match r.number("actor index").map_err(Fault::number)? {
            index if index < actors => Ok(index),
            _ => Err(Fault::Malformed("an actor index is past the chunk's actor ids")),
        },
        DELTA => r.signed("value").map(|_| 0).map_err(Fault::number),
        STRING => {
            let len = r.number("string length").map_err(Fault::number)?;
            let bytes = usize::try_from(len)
                .ok()
                .and_then(|len| r.take(len, "string").ok())
                .ok_or(Fault::Malformed("a string runs past the end of the column"))?;
            std::str::from_utf8(bytes).map(|_| 0).map_err(|_| Fault::Malformed("a string is not UTF-8"))
        }
        _ => r.number("value").map_err(Fault::number),
    }
}

/// A running count of rows, never past its cap.
struct Count {
    total: u64,
    max: u64,
    over: Fault,
}

impl Count {
    fn add(&mut self, n: u64) -> Result<(), Fault> {
        match self.total.checked_add(n) {
            Some(total) if total <= self.max => {
                self.total = total;
                Ok(())
            }
            _ => Err(self.over),
        }
    }
}

/// The running inflated size, never past the cap.
struct Size {
    total: usize,
    cap: usize,
}

impl Size {
    fn add(&mut self, n: usize) -> Result<(), GuardError> {
        match self.total.checked_add(n) {
            Some(total) if total <= self.cap => {
                self.total = total;
                Ok(())
            }
            _ => Err(GuardError::TooLarge { cap: self.cap }),
        }
    }

    /// Uncounts bytes counted before (a compressed column, which counts as it inflates).
    fn remove(&mut self, n: usize) {
        self.total = self.total.saturating_sub(n);
    }
}

/// The unread rest of the input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], GuardError> {
        if n > self.0.len() {
            return Err(GuardError::Truncated(what));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, GuardError> {
        self.take(1, what)?.first().copied().ok_or(GuardError::Truncated(what))
    }

    /// An unsigned LEB128 number: at most 10 bytes, no more than 64 bits, no redundant
    /// trailing zero byte (Automerge refuses those too).
    fn number(&mut self, what: &'static str) -> Result<u64, GuardError> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.byte(what)?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && (byte & 0x80 != 0 || bits > 1) {
                return Err(GuardError::BadNumber(what));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(GuardError::BadNumber(what));
                }
                return Ok(value);
            }
        }
        Err(GuardError::BadNumber(what))
    }

    /// A signed LEB128 number: at most 10 bytes, no more than 64 bits, no redundant last byte
    /// (one that only repeats the sign of the byte before).
    fn signed(&mut self, what: &'static str) -> Result<i64, GuardError> {
        let mut value = 0i64;
        let mut previous = 0u8;
        for i in 0..10 {
            let byte = self.byte(what)?;
            // The tenth byte holds bit 63 alone, and the sign it extends to.
            if i == 9 && byte != 0 && byte != 0x7f {
                return Err(GuardError::BadNumber(what));
            }
            value |= i64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                let negative = byte & 0x40 != 0;
                let redundant = i > 0 && (byte == 0 || byte == 0x7f) && (previous & 0x40 != 0) == negative;
                if redundant {
                    return Err(GuardError::BadNumber(what));
                }
                if negative && i < 9 {
                    value |= -1i64 << (7 * (i + 1));
                }
                return Ok(value);
            }
            previous = byte;
        }
        Err(GuardError::BadNumber(what))
    }

    /// A LEB128 length of bytes that must follow in the input.
    fn length(&mut self, what: &'static str) -> Result<usize, GuardError> {
        let n = self.number(what)?;
        match usize::try_from(n) {
            Ok(len) if len <= self.0.len() => Ok(len),
            _ => Err(GuardError::TooLong { what, claimed: n, left: self.0.len() }),
        }
    }

    /// A LEB128 count of items of at least `min_len` bytes each, which must fit in the input.
    fn count(&mut self, what: &'static str, min_len: usize) -> Result<usize, GuardError> {
        let n = self.number(what)?;
        let max = self.0.len() / min_len.max(1);
        match usize::try_from(n) {
            Ok(count) if count <= max => Ok(count),
            _ => Err(GuardError::TooMany { what, count: n, max: max as u64 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use automerge::ChangeHash;
    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::doc::board::PledgeAction;
    use crate::doc::people::{self, PeopleView};
    use crate::doc::{DocId, DocName, Document};
    use crate::id::{FlagId, TaskId};
    use crate::identity::Identity;
    use crate::model::{NewTask, TaskEdit, Urgency};
    use crate::time::{Date, Minutes, Timestamp};
    use crate::verify::{VerifyError, parse_bundle, parse_change};

    fn leb(mut n: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn uleb(n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        leb(n, &mut out);
        out
    }

    fn sleb(mut n: i64, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0) {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A run of a run-length encoded column: its signed count, then what follows it.
    fn run(count: i64, then: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        sleb(count, &mut out);
        out.extend(then);
        out
    }

    /// A chunk of the given type around `data`, with its checksum (which the guard does not
    /// check, but `parse_change` does).
    fn chunk(chunk_type: u8, data: &[u8]) -> Vec<u8> {
        let mut header = vec![chunk_type];
        leb(data.len() as u64, &mut header);
        let hash = Sha256::new().chain_update(&header).chain_update(data).finalize();
        let mut out = MAGIC.to_vec();
        out.extend(&hash[..4]);
        out.extend(header);
        out.extend(data);
        out
    }

    fn section(columns: &[(u32, Vec<u8>)], out: &mut Vec<u8>) {
        leb(columns.len() as u64, out);
        for (spec, data) in columns {
            leb(u64::from(*spec), out);
            leb(data.len() as u64, out);
        }
        for (_, data) in columns {
            out.extend(data);
        }
    }

    /// A bundle's data with no deps and no actors.
    fn body(change_columns: &[(u32, Vec<u8>)], op_columns: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = vec![0, 0];
        section(change_columns, &mut out);
        section(op_columns, &mut out);
        out
    }

    /// `n` zero bytes as raw DEFLATE, written a megabyte at a time (never held inflated).
    fn zeros_deflated(n: usize) -> Vec<u8> {
        let block = vec![0u8; 1 << 20];
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        let mut left = n;
        while left > 0 {
            let k = left.min(block.len());
            enc.write_all(&block[..k]).unwrap();
            left -= k;
        }
        enc.finish().unwrap()
    }

    fn deflated(data: &[u8]) -> Vec<u8> {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// Raw op columns (id 1), with the deflate bit and without: only their size counts.
    const DEFLATED: u32 = (1 << 4) | RAW | DEFLATE_BIT;
    const PLAIN: u32 = (1 << 4) | RAW;

    /// The inflated size of a bundle, against another cap.
    fn inflated_size(bytes: &[u8], cap: usize) -> Result<usize, GuardError> {
        inspect_bundle(bytes, Limits { inflated: cap, rows: MAX_BUNDLE_ROWS }).map(|s| s.inflated)
    }

    fn size(bytes: &[u8]) -> Result<usize, GuardError> {
        check(bytes).map(|s| s.inflated)
    }

    /// A board written through the writers by four members, as a community writes one: tasks
    /// in every essential sector (the longer descriptions make changes that Automerge
    /// compresses), pledges, withdrawals, edits, concerns. Its bundle of every change, and the
    /// changes one by one. (A year of a demo community's board is measured in weft-demo's tests.)
    fn board_bundle() -> (Vec<u8>, Vec<automerge::Change>) {
        let today: Date = "2026-05-04".parse().unwrap();
        let mut now = Timestamp::midday(today);
        let (_, ana) = Identity::generate();
        let others: Vec<Identity> = (0..3).map(|_| Identity::generate().1).collect();
        let (community, mut people, _) = people::found(&ana, "Riverside", "Ana", now).unwrap();
        for (i, o) in others.iter().enumerate() {
            people.admit_member(&ana, o.member(), &format!("Member {i}"), o.device(), o.cert(), now).unwrap();
        }
        let view = PeopleView::read(people.automerge());
        let members: Vec<&Identity> = std::iter::once(&ana).chain(&others).collect();
        let (mut board, _) = Document::from_genesis(DocId { community, name: DocName::Board }).unwrap();
        let sectors = ["food", "healthcare", "education", "maintenance", "governance"];
        for i in 0..60usize {
            now = Timestamp(now.0 + 60_000);
            let n = i as u32;
            let task = NewTask {
                title: format!("Task {i}: {}", sectors[i % 5]),
                description: "Bring gloves and water; we start at the gate. ".repeat(i % 4 * 4),
                sector: sectors[i % 5].parse().unwrap(),
                guild: None,
                skills: ["gardening", "cooking"][..i % 3].iter().map(|s| s.parse().unwrap()).collect(),
                hours: Minutes(30 * (1 + n % 6)),
                slots: 1 + n % 4,
                urgency: Urgency::ALL[i % 3],
                deadline: today.add_days(i as i64 % 30),
                location: (i % 2 == 0).then(|| "the hall".to_owned()),
                open_to_neighbours: i % 5 == 0,
            };
            let id = TaskId::random();
            board.add_task(id, members[i % 4], &task, &view, today, now).unwrap();
            let pledgers: Vec<&Identity> = members.iter().copied().skip(i % 2).take(i % 4).collect();
            for who in &pledgers {
                board.set_pledge(who, id, PledgeAction::Pledge, &view, now).unwrap();
            }
            if i % 3 == 1
                && let Some(who) = pledgers.first()
            {
                board.set_pledge(who, id, PledgeAction::Withdraw, &view, now).unwrap();
            }
            if i % 5 == 1 {
                let edit = TaskEdit { title: Some(format!("Task {i}, moved")), ..Default::default() };
                board.edit_task(members[(i + 1) % 4], id, &edit, &view, today, now).unwrap();
            }
            if i % 20 == 0 {
                let note = "Too much at once for the few of us who come.";
                board.raise_flag(FlagId::random(), members[3], Some(id), None, note, &view, now).unwrap();
            }
        }
        let board = board.automerge();
        let all = board.get_changes(&[]);
        let bundle = board.bundle(all.iter().map(|c| c.hash())).unwrap().bytes().to_vec();
        (bundle, all)
    }

    #[test]
    fn a_saved_document_is_one_document_chunk_and_nothing_else() {
        let (bundle, changes) = board();
        let mut doc = automerge::Automerge::new();
        doc.apply_changes(changes.iter().cloned()).unwrap();
        let saved = doc.save();
        assert_eq!(check_document(&saved), Ok(()));
        assert_eq!(check_document(&automerge::Automerge::new().save()), Ok(()));
        assert!(matches!(check_document(bundle), Err(GuardError::WrongChunkType { found: 3, .. })));
        assert!(matches!(check_document(changes[0].raw_bytes()), Err(GuardError::WrongChunkType { found: 1, .. })));
        let two = [saved.clone(), bundle.clone()].concat();
        assert!(matches!(check_document(&two), Err(GuardError::TrailingBytes(_))));
        assert!(check_document(&saved[..saved.len() - 1]).is_err());
    }

    /// The board, made once, shared by the tests that read it and the tests that damage it.
    fn board() -> &'static (Vec<u8>, Vec<automerge::Change>) {
        static BOARD: OnceLock<(Vec<u8>, Vec<automerge::Change>)> = OnceLock::new();
        BOARD.get_or_init(board_bundle)
    }

    /// Its changes one by one, as Weft sends them and compressed as Automerge can.
    fn board_changes() -> &'static [Vec<u8>] {
        static CHANGES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        CHANGES.get_or_init(|| {
            board().1.iter().cloned().flat_map(|mut c| [c.raw_bytes().to_vec(), c.bytes().to_vec()]).collect()
        })
    }

    /// A bundle of one change (actor 0 of one, sequence number 1, ops 1 to `max_op`, with
    /// `deps` dependencies if any) and these op columns.
    fn one_change_bundle(max_op: i64, deps: Option<u64>, ops: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut data = vec![0, 1, 16];
        data.extend([7; 16]);
        let mut max = Vec::new();
        sleb(max_op, &mut max);
        // Actor index, then sequence number, start op and max op as deltas.
        let mut changes = vec![(0x01, run(1, &[0])), (0x03, run(1, &[1])), (0x13, run(1, &[1])), (0x23, run(1, &max))];
        if let Some(n) = deps {
            changes.push((0x50, run(1, &uleb(n))));
        }
        section(&changes, &mut data);
        section(ops, &mut data);
        chunk(CHUNK_TYPE_BUNDLE, &data)
    }

    /// A bundle's op columns for `n` ops of actor 0 that each put null at key "a" of the root
    /// map: the key, the actor, the action, the value, no predecessors, and the op counters'
    /// order (0, 1, ..., n - 1).
    fn bundle_puts(n: i64) -> Vec<(u32, Vec<u8>)> {
        let mut order = run(-1, &[0]);
        if n > 1 {
            order.extend(run(n - 1, &[1]));
        }
        vec![
            (0x15, run(n, &[1, b'a'])),
            (0x21, run(n, &[0])),
            (0x42, run(n, &[1])),
            (0x56, run(n, &[0])),
            (0x70, run(n, &[0])),
            (0xb3, order),
        ]
    }

    /// A change chunk by one actor (no deps, sequence number 1, start op 1, time 0, no message,
    /// no other actors) with these op columns.
    fn change(ops: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut data = vec![0, 16];
        data.extend([7; 16]);
        data.extend([1, 1, 0, 0, 0]);
        section(ops, &mut data);
        chunk(CHUNK_TYPE_CHANGE, &data)
    }

    /// A change's op columns for `n` ops that each put null at key "a" of the root map, each
    /// with `preds` predecessors.
    fn change_puts(n: i64, preds: i64) -> Vec<(u32, Vec<u8>)> {
        let mut columns = vec![
            (0x15, run(n, &[1, b'a'])),
            (0x34, uleb(n as u64)),
            (0x42, run(n, &[1])),
            (0x56, run(n, &[0])),
            (0x70, run(n, &uleb(preds as u64))),
        ];
        if preds > 0 {
            columns.push((0x71, run(n * preds, &[0])));
            columns.push((0x73, run(n * preds, &[1])));
        }
        columns
    }

    /// The same columns, each deflated.
    fn all_deflated(columns: &[(u32, Vec<u8>)]) -> Vec<(u32, Vec<u8>)> {
        columns.iter().map(|(spec, data)| (spec | DEFLATE_BIT, deflated(data))).collect()
    }

    /// The chunk's data, deflated into a compressed change chunk.
    fn compressed(change: &[u8]) -> Vec<u8> {
        let (chunk_type, data) = super::chunk(change).unwrap();
        assert_eq!(chunk_type, CHUNK_TYPE_CHANGE);
        let mut out = chunk(CHUNK_TYPE_COMPRESSED_CHANGE, &deflated(data));
        // The checksum is the uncompressed change's.
        out[4..8].copy_from_slice(&change[4..8]);
        out
    }

    fn refused(result: Result<impl std::fmt::Debug, VerifyError>, why: &str) {
        match result {
            Err(VerifyError::Malformed(message)) => assert!(message.contains(why), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    /// The bundle with every compressed column inflated and marked plain, rebuilt from the
    /// guard's reading of the layout.
    fn inflate_all(bundle: &[u8]) -> Vec<u8> {
        let mut r = Reader(bundle);
        r.take(9, "header").unwrap();
        let len = r.length("data length").unwrap();
        let data = r.take(len, "data").unwrap();
        let mut r = Reader(data);
        let deps = r.count("deps", HASH_LEN).unwrap();
        r.take(deps * HASH_LEN, "deps").unwrap();
        for _ in 0..r.count("actors", 1).unwrap() {
            let n = r.length("actor").unwrap();
            r.take(n, "actor").unwrap();
        }
        let mut out = data[..data.len() - r.0.len()].to_vec();
        for _ in 0..2 {
            let n = r.number("columns").unwrap();
            let specs: Vec<(u32, usize)> =
                (0..n).map(|_| (r.number("spec").unwrap() as u32, r.length("len").unwrap())).collect();
            let columns: Vec<(u32, Vec<u8>)> = specs
                .into_iter()
                .map(|(spec, len)| {
                    let col = r.take(len, "column").unwrap();
                    if spec & DEFLATE_BIT == 0 {
                        (spec, col.to_vec())
                    } else {
                        let mut plain = Vec::new();
                        flate2::read::DeflateDecoder::new(col).read_to_end(&mut plain).unwrap();
                        (spec & !DEFLATE_BIT, plain)
                    }
                })
                .collect();
            section(&columns, &mut out);
        }
        assert!(r.0.is_empty());
        chunk(CHUNK_TYPE_BUNDLE, &out)
    }

    fn sorted_hashes<'a>(changes: impl IntoIterator<Item = &'a automerge::Change>) -> Vec<ChangeHash> {
        let mut hashes: Vec<ChangeHash> = changes.into_iter().map(|c| c.hash()).collect();
        hashes.sort();
        hashes
    }

    #[test]
    fn a_real_bundle_is_read_as_automerge_reads_it() {
        let (bundle, all) = board();
        let ops: usize = all.iter().map(|c| c.len()).sum();
        let deps: usize = all.iter().map(|c| c.deps().len()).sum();
        let shape = check(bundle).unwrap();
        assert_eq!(sorted_hashes(&parse_bundle(bundle).unwrap()), sorted_hashes(all));
        assert!(shape.inflated < MAX_BUNDLE_INFLATED / 10);

        // The guard counts the rows Automerge reads: the longest change columns are the
        // changes' dependencies, the longest op columns the ops (or their predecessors, fewer).
        assert_eq!(shape.change_rows as usize, deps.max(all.len()));
        assert_eq!(shape.op_rows as usize, ops);

        // The guard reads the layout as Automerge does: the same bundle with every column
        // inflated by hand is as long as the guard said, and Automerge reads the same changes.
        // (Only the column lengths in the metadata grow by a byte or two.)
        let inflated = shape.inflated;
        let plain = inflate_all(bundle);
        assert_ne!(&plain, bundle, "the bundle has compressed columns");
        let plain_shape = check(&plain).unwrap();
        let plain_size = plain_shape.inflated;
        assert!((inflated..inflated + 4 * MAX_COLUMNS).contains(&plain_size), "{plain_size} against {inflated}");
        assert!((10..=14).contains(&(plain.len() - plain_size)), "the header");
        assert_eq!((plain_shape.change_rows, plain_shape.op_rows), (shape.change_rows, shape.op_rows));
        assert_eq!(sorted_hashes(&parse_bundle(&plain).unwrap()), sorted_hashes(all));
    }

    /// Every change of the board, as Weft sends it and compressed, passes the guard with its
    /// ops counted, and `parse_change` reads it.
    #[test]
    fn real_changes_pass_one_by_one() {
        let (_, all) = board();
        let mut compressed = 0;
        for c in all {
            let mut c = c.clone();
            let ops = c.len() as u64;
            let preds: u64 = c.decode().operations.iter().map(|op| op.pred.len() as u64).sum();
            let raw = c.raw_bytes().to_vec();
            let shape = check_change(&raw).unwrap();
            let data = super::chunk(&raw).unwrap().1.len();
            assert_eq!((shape.inflated, shape.change_rows, shape.op_rows), (data, 0, ops.max(preds)));
            assert_eq!(parse_change(&raw).unwrap().hash(), c.hash());
            let packed = c.bytes().to_vec();
            if packed[8] == CHUNK_TYPE_COMPRESSED_CHANGE {
                compressed += 1;
                assert_eq!(check_change(&packed).unwrap(), shape);
                assert_eq!(parse_change(&packed).unwrap().hash(), c.hash());
            }
        }
        assert!(compressed > 10, "{compressed}");
    }

    #[test]
    fn a_deflate_bomb_is_refused_quickly_without_inflating_it() {
        // 1 GiB of zeros, about a megabyte deflated: under a frame.
        let bomb = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, zeros_deflated(1 << 30))]));
        assert!(bomb.len() < 2 << 20, "{}", bomb.len());
        let started = Instant::now();
        let refused = parse_bundle(&bomb);
        let took = started.elapsed();
        match refused {
            Err(VerifyError::Malformed(why)) => {
                assert!(why.contains(&format!("would inflate to more than {MAX_BUNDLE_INFLATED} bytes")), "{why}")
            }
            other => panic!("{other:?}"),
        }
        // Counting stops at the cap: with a 1 MiB cap the same bomb is refused much sooner.
        let started = Instant::now();
        assert_eq!(inflated_size(&bomb, 1 << 20), Err(GuardError::TooLarge { cap: 1 << 20 }));
        let small_cap = started.elapsed();
        eprintln!("bomb of {} B refused in {took:?} (cap 64 MiB), {small_cap:?} (cap 1 MiB)", bomb.len());
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(small_cap < took, "{small_cap:?} against {took:?}");

        // Spread over many columns and both sections, the total counts.
        let part = zeros_deflated(MAX_BUNDLE_INFLATED / 8);
        let columns: Vec<(u32, Vec<u8>)> = (0..5).map(|i| ((i << 4) | RAW | DEFLATE_BIT, part.clone())).collect();
        let spread = chunk(CHUNK_TYPE_BUNDLE, &body(&columns, &columns));
        assert_eq!(check(&spread), Err(GuardError::TooLarge { cap: MAX_BUNDLE_INFLATED }));
        let under = chunk(CHUNK_TYPE_BUNDLE, &body(&columns, &columns[..2]));
        let under = size(&under).unwrap();
        assert!(under > 7 * (MAX_BUNDLE_INFLATED / 8), "{under}");
    }

    #[test]
    fn the_cap_is_inclusive_and_counts_plain_columns_too() {
        let compressed = deflated(&[1; 3000]);
        let data = body(&[(PLAIN, vec![7; 1000])], &[(DEFLATED, compressed.clone())]);
        let bundle = chunk(CHUNK_TYPE_BUNDLE, &data);
        // Deps, actors and column metadata as they are, plus the columns inflated.
        let meta = data.len() - 1000 - compressed.len();
        assert_eq!(meta, 2 + 4 + 3);
        let size = meta + 1000 + 3000;
        assert_eq!(inflated_size(&bundle, usize::MAX), Ok(size));
        assert_eq!(inflated_size(&bundle, size), Ok(size));
        assert_eq!(inflated_size(&bundle, size - 1), Err(GuardError::TooLarge { cap: size - 1 }));
    }

    #[test]
    fn truncated_and_trailing_bytes_are_refused() {
        let bundle = board().0.clone();
        assert!(check(&bundle).is_ok());
        let n = bundle.len();
        let cuts = (0..n.min(300)).chain((300..n).step_by(61)).chain(n.saturating_sub(300)..n);
        for cut in cuts {
            assert!(check(&bundle[..cut]).is_err(), "cut at {cut} of {n}");
        }
        let mut longer = bundle.clone();
        longer.push(0);
        assert_eq!(check(&longer), Err(GuardError::TrailingBytes(1)));
        // Bytes after the op columns, inside the chunk.
        let data = body(&[], &[(PLAIN, vec![1, 2, 3])]);
        let mut inside = data.clone();
        inside.extend([9, 9]);
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &data)).map(|_| ()), Ok(()));
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &inside)), Err(GuardError::TrailingBytes(2)));
    }

    #[test]
    fn a_compressed_column_must_be_one_whole_deflate_stream() {
        let stream = deflated(&[5; 10_000]);
        let whole = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, stream.clone())]));
        assert!(check(&whole).is_ok());
        let short = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, stream[..stream.len() - 2].to_vec())]));
        assert_eq!(check(&short), Err(GuardError::BadDeflate));
        let mut more = stream.clone();
        more.push(0);
        let after = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, more)]));
        assert_eq!(check(&after), Err(GuardError::BadDeflate));
        let garbage = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, vec![0xff; 40])]));
        assert_eq!(check(&garbage), Err(GuardError::BadDeflate));
        let empty = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, Vec::new())]));
        assert_eq!(check(&empty), Err(GuardError::BadDeflate));
    }

    #[test]
    fn a_wrong_chunk_or_lying_numbers_are_refused_at_once() {
        let data = body(&[], &[]);
        assert_eq!(size(&chunk(CHUNK_TYPE_BUNDLE, &data)), Ok(data.len()));
        for found in [0, 1, 2, 4, 255] {
            assert_eq!(check(&chunk(found, &data)), Err(GuardError::WrongChunkType { found, wanted: "a bundle (3)" }));
        }
        let mut magic = chunk(CHUNK_TYPE_BUNDLE, &data);
        magic[0] ^= 1;
        assert_eq!(check(&magic), Err(GuardError::NotAChunk));
        assert_eq!(check(&[]), Err(GuardError::Truncated("magic bytes")));

        // A chunk length beyond the input, or not a number.
        let mut long = MAGIC.to_vec();
        long.extend([0, 0, 0, 0, CHUNK_TYPE_BUNDLE]);
        let mut huge = long.clone();
        leb(u64::MAX, &mut huge);
        assert!(matches!(check(&huge), Err(GuardError::TooLong { claimed: u64::MAX, .. })));
        let mut eleven = long.clone();
        eleven.extend([0xff; 10]);
        eleven.push(0);
        assert_eq!(check(&eleven), Err(GuardError::BadNumber("data length")));
        let mut overlong = long.clone();
        overlong.extend([0x80, 0x00]);
        assert_eq!(check(&overlong), Err(GuardError::BadNumber("data length")));

        // Counts that the input cannot hold.
        let deps = |count: u64, extra: usize| {
            let mut d = Vec::new();
            leb(count, &mut d);
            d.extend(vec![0; extra]);
            chunk(CHUNK_TYPE_BUNDLE, &d)
        };
        assert!(matches!(check(&deps(u64::MAX, 0)), Err(GuardError::TooMany { what: "change hashes", .. })));
        assert!(matches!(check(&deps(2, 63)), Err(GuardError::TooMany { what: "change hashes", .. })));
        let mut actors = vec![0];
        leb(1 << 40, &mut actors);
        assert!(matches!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &actors)),
            Err(GuardError::TooMany { what: "actor ids", .. })
        ));
        let mut actor = vec![0, 1];
        leb(33, &mut actor);
        actor.extend([0; 32]);
        assert!(matches!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &actor)),
            Err(GuardError::TooLong { what: "actor id length", claimed: 33, left: 32 })
        ));

        // Too many columns, a column spec beyond 32 bits, lengths beyond the input or whose sum
        // overflows.
        let columns: Vec<(u32, Vec<u8>)> = (0..65).map(|i| ((i << 4) | RAW, vec![1])).collect();
        assert!(matches!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &body(&columns, &[]))),
            Err(GuardError::TooMany { what: "change columns", count: 65, .. })
        ));
        assert!(check(&chunk(CHUNK_TYPE_BUNDLE, &body(&columns[..64], &columns[..64]))).is_ok());
        let mut spec = vec![0, 0, 1];
        leb(1 << 32, &mut spec);
        spec.extend([0, 0]);
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &spec)), Err(GuardError::BadNumber("column specification")));
        let beyond = [0, 0, 2, 0x10, 2, 0x20, 3, 1, 2, 3, 4];
        assert_eq!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &beyond)),
            Err(GuardError::TooLong { what: "change columns", claimed: 5, left: 4 })
        );
        let mut overflow = vec![0, 0, 2, 0x10];
        leb(u64::MAX / 2 + 1, &mut overflow);
        overflow.push(0x20);
        leb(u64::MAX / 2 + 1, &mut overflow);
        assert!(check(&chunk(CHUNK_TYPE_BUNDLE, &overflow)).is_err());
    }

    /// The bomb from the report: a 23-byte bundle whose op-counter column is one run of 2^33.
    /// Without the guard, Automerge would try to allocate 64 GiB and abort the test process.
    #[test]
    fn the_23_byte_bundle_bomb_is_refused_at_once() {
        let bomb = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(0xb3, run(1 << 33, &[1]))]));
        assert_eq!(bomb.len(), 23);
        let started = Instant::now();
        assert_eq!(
            check(&bomb),
            Err(GuardError::TooManyRows { section: "op columns", spec: 0xb3, max: MAX_BUNDLE_ROWS })
        );
        refused(parse_bundle(&bomb), "column 0xb3 encodes more than 1048576 rows");
        // `Change::from_bytes` reads any chunk, bundles too, before it says it is not a change:
        // the same bytes from gossip would abort as well.
        refused(parse_change(&bomb), "the chunk is of type 3, not a change");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    /// Every way found to make Automerge 0.12 expand a tiny bundle, plain and deflated. Each one
    /// makes it abort on an allocation (measured with a 4 to 8 GB address-space limit), but for
    /// the last two, which it reads: a literal run claiming more values than there are bytes,
    /// and a key that is not UTF-8 (which it turns into a `&str` unchecked).
    #[test]
    fn bundle_bombs_of_every_kind_are_refused() {
        let rows = |section, spec| GuardError::TooManyRows { section, spec, max: MAX_BUNDLE_ROWS };
        let grouped = |section, spec| GuardError::TooManyGrouped { section, spec, max: MAX_BUNDLE_ROWS };
        let bad = |section, spec, why| GuardError::BadColumn { section, spec, why };
        let ops = "op columns";
        let with = |spec: u32, column: Vec<u8>| {
            let mut columns = bundle_puts(1);
            columns.retain(|(s, _)| *s != spec);
            columns.push((spec, column));
            columns.sort_by_key(|(s, _)| *s);
            columns
        };
        let mut pred_count = with(0x70, run(1, &uleb(1 << 40)));
        pred_count.extend([(0x71, run(1, &[0])), (0x73, run(1, &[1]))]);
        pred_count.sort_by_key(|(s, _)| *s);
        let mut key_actor = bundle_puts(64);
        key_actor.retain(|(s, _)| *s != 0x15);
        let mut key_ctr = run(1, &[1]);
        key_ctr.extend(run(63, &[0]));
        key_actor.extend([(0x11, run(64, &uleb(u64::from(u32::MAX)))), (0x13, key_ctr)]);
        key_actor.sort_by_key(|(s, _)| *s);
        // What, the change's last op, its dependencies, its op columns, and the refusal.
        type Case<'a> = (&'a str, i64, Option<u64>, Vec<(u32, Vec<u8>)>, GuardError);
        let cases: Vec<Case<'_>> = vec![
            ("a run of op counters", 1, None, with(0xb3, run(1 << 33, &[1])), rows(ops, 0xb3)),
            ("a run of nulls", 1, None, with(0xb3, [vec![0], uleb(1 << 33)].concat()), rows(ops, 0xb3)),
            ("a run of booleans", 1, None, with(0x34, uleb(1 << 40)), rows(ops, 0x34)),
            ("a run of strings", 1, None, with(0x15, run(i64::MAX, &[1, b'a'])), rows(ops, 0x15)),
            ("runs in every column", 1 << 30, None, bundle_puts(1 << 30), rows(ops, 0x15)),
            ("a count of predecessors", 1, None, pred_count, grouped(ops, 0x70)),
            ("a count of dependencies", 1, Some(1 << 40), bundle_puts(1), grouped("change columns", 0x50)),
            ("an actor index", 64, None, key_actor, bad(ops, 0x11, "an actor index is past the chunk's actor ids")),
            (
                "a literal run",
                1,
                None,
                with(0x42, run(-(1 << 62), &[1])),
                bad(ops, 0x42, "a run of values is longer than the column"),
            ),
            ("a key", 1, None, with(0x15, run(1, &[2, 0xff, 0xfe])), bad(ops, 0x15, "a string is not UTF-8")),
        ];
        for (what, max_op, deps, columns, error) in cases {
            for columns in [columns.clone(), all_deflated(&columns)] {
                let bomb = one_change_bundle(max_op, deps, &columns);
                assert!(bomb.len() < 200, "{what}: {} bytes", bomb.len());
                let started = Instant::now();
                assert_eq!(check(&bomb), Err(error.clone()), "{what}");
                refused(parse_bundle(&bomb), &error.to_string());
                assert!(started.elapsed() < Duration::from_secs(1), "{what}: {:?}", started.elapsed());
            }
        }
        // The honest shape of those bundles is read.
        let honest = one_change_bundle(64, None, &bundle_puts(64));
        assert_eq!(check(&honest).map(|s| (s.change_rows, s.op_rows)), Ok((1, 64)));
        assert_eq!(parse_bundle(&honest).unwrap()[0].len(), 64);
    }

    /// What the cap lets through is what Automerge can read in a moment.
    #[test]
    fn a_bundle_at_the_cap_is_read_and_one_row_more_is_not() {
        let cap = MAX_BUNDLE_ROWS as i64;
        let full = one_change_bundle(cap, None, &bundle_puts(cap));
        assert_eq!(check(&full).map(|s| s.op_rows), Ok(MAX_BUNDLE_ROWS));
        let started = Instant::now();
        let changes = parse_bundle(&full).unwrap();
        eprintln!("a bundle of {cap} ops in {} bytes read in {:?}", full.len(), started.elapsed());
        assert_eq!(changes[0].len(), MAX_BUNDLE_ROWS as usize);

        let over = one_change_bundle(cap + 1, None, &bundle_puts(cap + 1));
        assert_eq!(
            check(&over),
            Err(GuardError::TooManyRows { section: "op columns", spec: 0x15, max: MAX_BUNDLE_ROWS })
        );
        // The cap holds each column, and each group's count.
        let limits = |rows| Limits { inflated: MAX_BUNDLE_INFLATED, rows };
        let small = one_change_bundle(10, Some(11), &bundle_puts(10));
        assert!(inspect_bundle(&small, limits(11)).is_ok());
        assert_eq!(
            inspect_bundle(&small, limits(10)),
            Err(GuardError::TooManyGrouped { section: "change columns", spec: 0x50, max: 10 })
        );
        let small = one_change_bundle(10, None, &bundle_puts(10));
        assert!(inspect_bundle(&small, limits(10)).is_ok());
        assert_eq!(
            inspect_bundle(&small, limits(9)),
            Err(GuardError::TooManyRows { section: "op columns", spec: 0x15, max: 9 })
        );
    }

    /// A single change from gossip was open to the same bombs, and more: `Change::from_bytes`
    /// reads ops one by one for as long as a run lasts (about 150 ns each in a release build,
    /// so a 69-byte change of 2^33 ops holds a thread for 20 minutes, and 2^62 forever), and
    /// collects an op's predecessors without a limit (a 74-byte change reached 6.5 GB before its
    /// allocation failed and the process aborted). It inflates a compressed change without a
    /// limit too, and reads a bundle or a whole document as readily as a change.
    #[test]
    fn change_bombs_are_refused() {
        let rows = GuardError::TooManyRows { section: "op columns", spec: 0x15, max: MAX_BUNDLE_ROWS };
        let started = Instant::now();
        let long = change(&change_puts(1 << 33, 0));
        assert!(long.len() < 80, "{}", long.len());
        assert_eq!(check_change(&long), Err(rows.clone()));
        refused(parse_change(&long), "encodes more than 1048576 rows");
        let preds = change(&change_puts(1, 1 << 31));
        assert_eq!(
            check_change(&preds),
            Err(GuardError::TooManyGrouped { section: "op columns", spec: 0x70, max: MAX_BUNDLE_ROWS })
        );
        refused(parse_change(&preds), "counts more than 1048576 rows of its group");
        // An actor index past the change's actors: Automerge reads it, and `decode` panics.
        let mut columns = change_puts(1, 0);
        columns.retain(|(s, _)| *s != 0x15);
        columns.extend([(0x11, run(1, &[1])), (0x13, run(1, &[1]))]);
        columns.sort_by_key(|(s, _)| *s);
        refused(parse_change(&change(&columns)), "an actor index is past the chunk's actor ids");
        columns[0].1 = run(1, &[0]);
        assert!(parse_change(&change(&columns)).is_ok());

        // Compressed: the run bomb inside, or a deflate bomb.
        assert_eq!(check_change(&compressed(&long)), Err(rows));
        refused(parse_change(&compressed(&long)), "encodes more than 1048576 rows");
        let mut inflating = chunk(CHUNK_TYPE_COMPRESSED_CHANGE, &zeros_deflated(MAX_BUNDLE_INFLATED + 1));
        inflating[4..8].copy_from_slice(&long[4..8]);
        refused(parse_change(&inflating), "would inflate to more than 67108864 bytes");
        // Compressed op columns, which Automerge never writes in a change.
        let packed = change(&all_deflated(&change_puts(1, 0)));
        assert_eq!(check_change(&packed), Err(GuardError::CompressedColumn { spec: 0x15 | DEFLATE_BIT }));
        // Anything but a change.
        for found in [0, 3, 4] {
            assert_eq!(
                check_change(&chunk(found, &[0; 8])),
                Err(GuardError::WrongChunkType { found, wanted: "a change (1, or 2 compressed)" })
            );
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

        // At the cap, a change is read, compressed or not; one op more is refused.
        let cap = MAX_BUNDLE_ROWS as i64;
        let full = change(&change_puts(cap, 0));
        let started = Instant::now();
        assert_eq!(parse_change(&full).unwrap().len(), MAX_BUNDLE_ROWS as usize);
        eprintln!("a change of {cap} ops in {} bytes read in {:?}", full.len(), started.elapsed());
        assert_eq!(parse_change(&compressed(&full)).unwrap().len(), MAX_BUNDLE_ROWS as usize);
        assert!(check_change(&change(&change_puts(cap + 1, 0))).is_err());
    }

    #[test]
    fn runs_are_counted_as_automerge_reads_them() {
        let count = |encoding: u32, data: &[u8]| rows(data, (1 << 4) | encoding, 1000, 3);
        let bad = |why| Err(Fault::Malformed(why));
        // Unsigned numbers: a run of five 7s, three literals, four nulls.
        let mut column = run(5, &[7]);
        column.extend(run(-3, &[1, 0x80, 1, 2]));
        column.extend(run(0, &[4]));
        for encoding in [2, 6] {
            assert_eq!(count(encoding, &column), Ok(12));
        }
        // A group column counts 5 × 7 + 1 + 128 + 2 rows of its group.
        assert_eq!(count(GROUP, &column), Ok(166));
        // Actor indexes: within the actors.
        assert_eq!(count(ACTOR, &run(5, &[2])), Ok(5));
        assert_eq!(count(ACTOR, &run(5, &[3])), bad("an actor index is past the chunk's actor ids"));
        // Deltas are signed; strings are a length and UTF-8.
        assert_eq!(count(DELTA, &[run(2, &[0x7f]), run(-2, &[0x80, 0x7f, 0x01])].concat()), Ok(4));
        assert_eq!(count(STRING, &[run(9, &[2, b'h', b'i']), run(-2, &[0, 3, 0xe2, 0x82, 0xac])].concat()), Ok(11));
        assert_eq!(count(STRING, &run(1, &[3, b'a', b'b'])), bad("a string runs past the end of the column"));
        assert_eq!(count(STRING, &run(1, &[1, 0xc0])), bad("a string is not UTF-8"));
        // Booleans: run lengths, nothing else; raw values: no rows.
        assert_eq!(count(BOOLEAN, &[0, 3, 0, 0x80, 1]), Ok(131));
        assert_eq!(count(RAW, &[0xff; 10]), Ok(0));
        assert_eq!(count(2, &[]), Ok(0));

        // The cap is inclusive, and walking a run costs the same whatever its length.
        assert_eq!(rows(&run(1000, &[1]), 0x12, 1000, 3), Ok(1000));
        assert_eq!(rows(&run(1001, &[1]), 0x12, 1000, 3), Err(Fault::Rows));
        assert_eq!(rows(&run(500, &[2]), 0x10, 1000, 3), Ok(1000));
        assert_eq!(rows(&run(1000, &[2]), 0x10, 1000, 3), Err(Fault::Grouped));
        let huge = [run(i64::MAX, &[1]), run(i64::MAX, &[1]), run(2, &[1])].concat();
        assert_eq!(rows(&huge, 0x12, u64::MAX, 3), Err(Fault::Rows));
        assert_eq!(rows(&run(i64::MAX, &uleb(u64::MAX)), 0x10, u64::MAX, 3), Err(Fault::Grouped));
        assert_eq!(rows(&[vec![0], uleb(u64::MAX), vec![0, 1]].concat(), 0x13, u64::MAX, 3), Err(Fault::Rows));

        // Malformed runs: cut short, a literal run longer than the column, numbers past 64 bits
        // or with redundant bytes.
        assert_eq!(count(2, &run(3, &[])), bad("it ends inside a run"));
        assert_eq!(count(2, &run(-3, &[1, 2])), bad("a run of values is longer than the column"));
        assert_eq!(count(2, &run(-1, &[0x80])), bad("it ends inside a run"));
        assert_eq!(count(2, &[0]), bad("it ends inside a run"));
        assert_eq!(count(BOOLEAN, &[0x80]), bad("it ends inside a run"));
        let not_leb = bad("a number in it is not well-formed LEB128");
        assert_eq!(count(2, &[0xff; 11]), not_leb);
        assert_eq!(count(2, &[0x81, 0x00, 1]), not_leb);
        assert_eq!(count(2, &[0xff, 0x7f, 1]), not_leb);
        assert_eq!(count(BOOLEAN, &[0x81, 0x00]), not_leb);
        assert_eq!(count(DELTA, &run(1, &[0x80, 0x80, 0x00])), not_leb);
    }

    #[test]
    fn signed_numbers_read_as_automerge_writes_them() {
        for n in [0, 1, -1, 63, 64, -64, -65, 1 << 33, -(1 << 33), i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1] {
            let mut bytes = Vec::new();
            sleb(n, &mut bytes);
            let mut r = Reader(&bytes);
            assert_eq!(r.signed("n"), Ok(n), "{bytes:x?}");
            assert!(r.0.is_empty());
        }
        // Past 64 bits, or a tenth byte that does not only extend the sign.
        for bytes in [[0xff; 10].as_slice(), &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], &[0x80; 11]]
        {
            assert_eq!(Reader(bytes).signed("n"), Err(GuardError::BadNumber("n")), "{bytes:x?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Any bytes at all, as a bundle or as a change: within the limits, or a refusal; never
        /// a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), header in 0u8..5) {
            let input = match header {
                0 => bytes,
                CHUNK_TYPE_COMPRESSED_CHANGE => chunk(header, &deflated(&bytes)),
                _ => chunk(header, &bytes),
            };
            let limits = Limits { inflated: 4096, rows: 100 };
            for shape in [inspect_bundle(&input, limits), inspect_change(&input, limits)].into_iter().flatten() {
                prop_assert!(shape.inflated <= 4096 && shape.change_rows <= 100 && shape.op_rows <= 100);
            }
            let _ = check(&input);
            let _ = check_change(&input);
            let _ = parse_change(&input);
        }

        /// Any column at all: within the cap, or a refusal; never a panic.
        #[test]
        fn arbitrary_columns_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256), spec in any::<u32>(), actors in 0u64..4) {
            if let Ok(n) = rows(&data, spec, 1000, actors) {
                prop_assert!(n <= 1000);
            }
        }

        /// Columns made of runs of any kind and length are counted exactly, run by run.
        #[test]
        fn runs_of_any_length_are_counted_exactly(
            runs in proptest::collection::vec((0u8..3, 1u64..1 << 40, proptest::collection::vec(any::<u64>(), 1..4)), 0..8),
            encoding in prop_oneof![Just(GROUP), Just(ACTOR), Just(2), Just(DELTA), Just(STRING), Just(6), Just(BOOLEAN)],
        ) {
            let max = 1u64 << 42;
            let actors = 5;
            let value = |v: u64, out: &mut Vec<u8>| match encoding {
                GROUP => leb(v % 1000, out),
                ACTOR => leb(v % actors, out),
                DELTA => sleb(v as i64, out),
                STRING => {
                    leb(v % 4, out);
                    out.extend(std::iter::repeat_n(b'x', (v % 4) as usize));
                }
                _ => leb(v, out),
            };
            let (mut data, mut rows_in, mut grouped) = (Vec::new(), 0u64, 0u64);
            for (kind, count, values) in runs {
                if encoding == BOOLEAN {
                    leb(count, &mut data);
                    rows_in += count;
                    continue;
                }
                match kind {
                    0 => {
                        sleb(count as i64, &mut data);
                        value(values[0], &mut data);
                        rows_in += count;
                        grouped += count * (values[0] % 1000);
                    }
                    1 => {
                        sleb(-(values.len() as i64), &mut data);
                        for v in &values {
                            value(*v, &mut data);
                            grouped += v % 1000;
                        }
                        rows_in += values.len() as u64;
                    }
                    _ => {
                        data.push(0);
                        leb(count, &mut data);
                        rows_in += count;
                    }
                }
            }
            if encoding != GROUP {
                grouped = 0;
            }
            let counted = rows(&data, (3 << 4) | encoding, max, actors);
            if rows_in <= max && grouped <= max {
                prop_assert_eq!(counted, Ok(rows_in.max(grouped)));
            } else {
                prop_assert!(counted == Err(Fault::Rows) || counted == Err(Fault::Grouped), "{:?}", counted);
            }
        }

        /// Real changes, as sent and compressed, damaged anywhere (flipped, cut, lengthened): read
        /// or refused, never a panic.
        #[test]
        fn damaged_real_changes_never_panic(
            which in any::<usize>(),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
            cut in any::<usize>(),
            extra in proptest::collection::vec(any::<u8>(), 0..4),
        ) {
            let mut bytes = board_changes()[which % board_changes().len()].clone();
            for (at, v) in flips {
                let i = at % bytes.len();
                bytes[i] ^= v | 1;
            }
            bytes.truncate(cut % (bytes.len() + 1) + bytes.len() / 2);
            bytes.extend(extra);
            let _ = parse_change(&bytes);
        }

        /// Hand-made layouts with arbitrary raw (compressed or not) columns: never a panic, and
        /// an accepted size is what the columns hold.
        #[test]
        fn made_up_columns_never_panic(
            columns in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 0..300), any::<bool>()), 0..6),
            cap in 0usize..20_000,
        ) {
            let columns: Vec<(u32, Vec<u8>)> = columns
                .into_iter()
                .map(|(spec, data, deflate)| (spec & !0b1111 | RAW, data, deflate))
                .map(|(spec, data, deflate)| if deflate { (spec | DEFLATE_BIT, deflated(&data)) } else { (spec, data) })
                .collect();
            let half = columns.len() / 2;
            let data = body(&columns[..half], &columns[half..]);
            let bundle = chunk(CHUNK_TYPE_BUNDLE, &data);
            let result = inflated_size(&bundle, cap);
            prop_assert!(result.is_ok() || result == Err(GuardError::TooLarge { cap }), "{result:?}");
            if let Ok(size) = result {
                prop_assert!(size <= cap);
            }
        }

        /// A real bundle, damaged anywhere (flipped, cut, lengthened): never a panic.
        #[test]
        fn damaged_real_bundles_never_panic(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
            cut in any::<usize>(),
            extra in proptest::collection::vec(any::<u8>(), 0..4),
        ) {
            let mut bytes = board().0.clone();
            for (at, v) in flips {
                let i = at % bytes.len();
                bytes[i] ^= v | 1;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            bytes.extend(extra);
            if let Ok(size) = inflated_size(&bytes, 1 << 20) {
                prop_assert!(size <= 1 << 20);
            }
        }
    }
}
