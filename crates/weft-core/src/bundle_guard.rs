//! A strict pre-check of a received Automerge bundle: how large does it become once inflated?
//!
//! Automerge (0.12) inflates a bundle's DEFLATE-compressed columns into memory with no limit,
//! so a peer could send a small bundle that inflates to gigabytes (a deflate bomb). Before the
//! bytes reach Automerge, [`inflated_size`] walks the bundle's layout with its own strict little
//! parser and inflates each compressed column into a fixed buffer that is counted and thrown
//! away, stopping as soon as the total would pass the cap: it never holds more than that buffer
//! of inflated data, whatever the input.
//!
//! The layout (Automerge's storage format, bundle chunk):
//! - the chunk header: the 4 magic bytes, a 4-byte checksum, the chunk type (1 byte, 3 for a
//!   bundle), the LEB128 length of the data, then exactly that many data bytes, and nothing after;
//! - in the data: a LEB128 count of change hashes (32 bytes each), a LEB128 count of actor ids
//!   (each a LEB128 length and that many bytes);
//! - then twice (the changes' columns, then the ops' columns): a LEB128 count of columns, per
//!   column a LEB128 u32 specification and a LEB128 u64 length, then the columns' data, one
//!   after the other. A column whose specification has bit `0b1000` set is raw DEFLATE.
//!
//! This does not check that the columns make sense (Automerge does that next), nor the
//! checksum; it only bounds what Automerge will inflate. It is stricter than Automerge in a few
//! places an honest Automerge never goes near: no bytes after the chunk or inside it after the
//! op columns, and each compressed column one complete DEFLATE stream with nothing after it.
//!
//! It bounds DEFLATE only. Automerge also expands run-length-encoded columns without a limit
//! (a 23-byte uncompressed bundle whose op-counter column is one run of 2^33 deltas makes
//! Automerge 0.12 allocate tens of gigabytes while parsing it, an abort rather than a panic);
//! that needs its own bound.

use flate2::{Decompress, FlushDecompress, Status};

/// The most a received bundle may become once its compressed columns are inflated: 64 MiB.
///
/// A frame is at most 8 MiB on the wire, and a sender puts at most 6 MiB of changes (counted as
/// Automerge's individually encoded changes) in one frame's bundle. A bundle stores less than
/// the changes one by one, not more: a year of a 60-member community's board (7,556 changes,
/// 0.26 MB as a bundle) inflates to 1.3 MB, against 2.4 MB for its changes encoded one by one
/// (the test `a_year_of_a_board_inflates_to_a_plausible_size` measures it). So an honest
/// bundle inflates to less than 6 MiB; 64 MiB leaves ten times that as headroom (for other
/// shapes of history, or a future sender with bigger frames) while refusing a bomb long before
/// it hurts a laptop.
pub const MAX_BUNDLE_INFLATED: usize = 64 * 1024 * 1024;

/// The most columns a bundle may list in each of its two sections. Automerge writes a dozen or
/// two; the limit only keeps a hostile count from making us loop.
pub const MAX_COLUMNS: usize = 64;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Automerge's chunk type for a bundle (document 0, change 1, compressed change 2, bundle 3).
const CHUNK_TYPE_BUNDLE: u8 = 3;
const HASH_LEN: usize = 32;
const DEFLATE_BIT: u32 = 0b1000;
/// How much inflated data is held at once while counting a compressed column.
const INFLATE_BUFFER: usize = 32 * 1024;

/// Why a bundle was refused before Automerge saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleGuardError {
    #[error("the bundle ends inside its {0}")]
    Truncated(&'static str),
    #[error("the bundle does not start with Automerge's magic bytes")]
    NotAChunk,
    #[error("the chunk is of type {0}, not a bundle ({CHUNK_TYPE_BUNDLE})")]
    WrongChunkType(u8),
    #[error("the bundle's {0} is not a well-formed LEB128 number")]
    BadNumber(&'static str),
    #[error("the bundle's {what} claims {claimed} bytes where only {left} remain")]
    TooLong { what: &'static str, claimed: u64, left: usize },
    #[error("the bundle lists {count} {what}, more than {max}")]
    TooMany { what: &'static str, count: u64, max: u64 },
    #[error("{0} unexpected bytes follow the bundle's contents")]
    TrailingBytes(usize),
    #[error("a compressed column of the bundle is not one complete DEFLATE stream")]
    BadDeflate,
    #[error("the bundle would inflate to more than {cap} bytes")]
    TooLarge { cap: usize },
}

/// How many bytes the bundle's data becomes once its compressed columns are inflated (the
/// chunk header not counted), or why it is refused: malformed, or more than `cap`.
pub fn inflated_size(bytes: &[u8], cap: usize) -> Result<usize, BundleGuardError> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len(), "magic bytes")? != MAGIC {
        return Err(BundleGuardError::NotAChunk);
    }
    r.take(4, "checksum")?;
    let chunk_type = r.take(1, "chunk type")?.first().copied().ok_or(BundleGuardError::Truncated("chunk type"))?;
    if chunk_type != CHUNK_TYPE_BUNDLE {
        return Err(BundleGuardError::WrongChunkType(chunk_type));
    }
    let len = r.length("data length")?;
    let data = r.take(len, "data")?;
    if !r.0.is_empty() {
        return Err(BundleGuardError::TrailingBytes(r.0.len()));
    }

    let mut r = Reader(data);
    let mut size = Size { total: 0, cap };
    let deps = r.count("change hashes", HASH_LEN)?;
    // `count` checked deps × HASH_LEN against the input.
    r.take(deps.saturating_mul(HASH_LEN), "change hashes")?;
    let actors = r.count("actor ids", 1)?;
    for _ in 0..actors {
        let n = r.length("actor id length")?;
        r.take(n, "actor ids")?;
    }
    // Everything but the columns' data is kept as it is.
    size.add(data.len() - r.0.len())?;
    let mut inflater = Decompress::new(false);
    for section in ["change columns", "op columns"] {
        columns(&mut r, section, &mut size, &mut inflater)?;
    }
    if !r.0.is_empty() {
        return Err(BundleGuardError::TrailingBytes(r.0.len()));
    }
    Ok(size.total)
}

/// Checks the bundle against [`MAX_BUNDLE_INFLATED`]; returns its inflated size.
pub fn check(bytes: &[u8]) -> Result<usize, BundleGuardError> {
    inflated_size(bytes, MAX_BUNDLE_INFLATED)
}

/// One section's column metadata and data.
fn columns(
    r: &mut Reader<'_>,
    section: &'static str,
    size: &mut Size,
    inflater: &mut Decompress,
) -> Result<(), BundleGuardError> {
    let before = r.0.len();
    let count = r.number(section)?;
    if count > MAX_COLUMNS as u64 {
        return Err(BundleGuardError::TooMany { what: section, count, max: MAX_COLUMNS as u64 });
    }
    let mut specs = [(0u32, 0usize); MAX_COLUMNS];
    let mut total = 0usize;
    for spec in specs.iter_mut().take(count as usize) {
        let raw = r.number("column specification")?;
        let raw = u32::try_from(raw).map_err(|_| BundleGuardError::BadNumber("column specification"))?;
        let len = r.length("column length")?;
        total = total.checked_add(len).ok_or(BundleGuardError::TooLong {
            what: section,
            claimed: u64::MAX,
            left: r.0.len(),
        })?;
        *spec = (raw, len);
    }
    if total > r.0.len() {
        return Err(BundleGuardError::TooLong { what: section, claimed: total as u64, left: r.0.len() });
    }
    size.add(before - r.0.len())?;
    for &(spec, len) in specs.iter().take(count as usize) {
        let data = r.take(len, section)?;
        if spec & DEFLATE_BIT == 0 {
            size.add(len)?;
        } else {
            inflate(data, size, inflater)?;
        }
    }
    Ok(())
}

/// Counts what `data` (raw DEFLATE) inflates to, holding at most [`INFLATE_BUFFER`] bytes of it
/// at once, and stops as soon as the total passes the cap.
fn inflate(data: &[u8], size: &mut Size, inflater: &mut Decompress) -> Result<(), BundleGuardError> {
    let mut out = [0u8; INFLATE_BUFFER];
    inflater.reset(false);
    let mut counted = 0u64;
    loop {
        let consumed = inflater.total_in();
        let input = usize::try_from(consumed).ok().and_then(|at| data.get(at..)).ok_or(BundleGuardError::BadDeflate)?;
        let status =
            inflater.decompress(input, &mut out, FlushDecompress::None).map_err(|_| BundleGuardError::BadDeflate)?;
        let produced = inflater.total_out() - counted;
        counted = inflater.total_out();
        size.add(usize::try_from(produced).map_err(|_| BundleGuardError::TooLarge { cap: size.cap })?)?;
        match status {
            Status::StreamEnd if inflater.total_in() == data.len() as u64 => return Ok(()),
            // Bytes after the end of the DEFLATE stream.
            Status::StreamEnd => return Err(BundleGuardError::BadDeflate),
            // No progress: the stream stops before its end.
            Status::Ok | Status::BufError if produced == 0 && inflater.total_in() == consumed => {
                return Err(BundleGuardError::BadDeflate);
            }
            Status::Ok | Status::BufError => {}
        }
    }
}

/// The running inflated size, never past the cap.
struct Size {
    total: usize,
    cap: usize,
}

impl Size {
    fn add(&mut self, n: usize) -> Result<(), BundleGuardError> {
        match self.total.checked_add(n) {
            Some(total) if total <= self.cap => {
                self.total = total;
                Ok(())
            }
            _ => Err(BundleGuardError::TooLarge { cap: self.cap }),
        }
    }
}

/// The unread rest of the input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], BundleGuardError> {
        if n > self.0.len() {
            return Err(BundleGuardError::Truncated(what));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    /// An unsigned LEB128 number: at most 10 bytes, no more than 64 bits, no redundant
    /// trailing zero byte (Automerge refuses those too).
    fn number(&mut self, what: &'static str) -> Result<u64, BundleGuardError> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = *self.take(1, what)?.first().ok_or(BundleGuardError::Truncated(what))?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && (byte & 0x80 != 0 || bits > 1) {
                return Err(BundleGuardError::BadNumber(what));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(BundleGuardError::BadNumber(what));
                }
                return Ok(value);
            }
        }
        Err(BundleGuardError::BadNumber(what))
    }

    /// A LEB128 length of bytes that must follow in the input.
    fn length(&mut self, what: &'static str) -> Result<usize, BundleGuardError> {
        let n = self.number(what)?;
        match usize::try_from(n) {
            Ok(len) if len <= self.0.len() => Ok(len),
            _ => Err(BundleGuardError::TooLong { what, claimed: n, left: self.0.len() }),
        }
    }

    /// A LEB128 count of items of at least `min_len` bytes each, which must fit in the input.
    fn count(&mut self, what: &'static str, min_len: usize) -> Result<usize, BundleGuardError> {
        let n = self.number(what)?;
        let max = self.0.len() / min_len.max(1);
        match usize::try_from(n) {
            Ok(count) if count <= max => Ok(count),
            _ => Err(BundleGuardError::TooMany { what, count: n, max: max as u64 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use automerge::ChangeHash;
    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use proptest::prelude::*;

    use super::*;
    use crate::demo::{self, DemoOptions};
    use crate::identity::Identity;
    use crate::verify::{VerifyError, parse_bundle};

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

    /// A chunk of the given type around `data` (the checksum is not checked by the guard).
    fn chunk(chunk_type: u8, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0, 0, 0, 0, chunk_type]);
        leb(data.len() as u64, &mut out);
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

    /// An op column spec with the deflate bit (id 1, type 0).
    const DEFLATED: u32 = (1 << 4) | DEFLATE_BIT;
    const PLAIN: u32 = 1 << 4;

    /// A board after a year of a community of `members`: its bundle of every change, and the
    /// changes one by one.
    fn board_bundle(members: u32) -> (Vec<u8>, Vec<automerge::Change>) {
        let (_, me) = Identity::generate();
        let opts = DemoOptions { members, seed: 1, today: "2026-11-22".parse().unwrap(), name: None };
        let demo = demo::generate(&me, "Ana", &opts).unwrap();
        let board = demo.documents[1].automerge();
        let all = board.get_changes(&[]);
        let bundle = board.bundle(all.iter().map(|c| c.hash())).unwrap().bytes().to_vec();
        (bundle, all)
    }

    thread_local! {
        /// A smaller board, shared by the tests that damage it.
        static SMALL: Vec<u8> = board_bundle(8).0;
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
    fn a_year_of_a_board_inflates_to_a_plausible_size() {
        let (bundle, all) = board_bundle(60);
        let one_by_one: usize = all.iter().map(|c| c.raw_bytes().len()).sum();

        // The quickest of three runs of each.
        let timed = |f: &dyn Fn()| {
            (0..3)
                .map(|_| {
                    let started = Instant::now();
                    f();
                    started.elapsed()
                })
                .min()
                .unwrap()
        };
        let inflated = check(&bundle).unwrap();
        let changes = parse_bundle(&bundle).unwrap();
        let guard = timed(&|| assert!(check(&bundle).is_ok()));
        let whole = timed(&|| assert!(parse_bundle(&bundle).is_ok()));
        eprintln!(
            "{} changes: bundle {} B, inflated {} B, one by one {} B; guard {:?}, parse_bundle (with guard) {:?}",
            all.len(),
            bundle.len(),
            inflated,
            one_by_one,
            guard,
            whole
        );
        assert_eq!(sorted_hashes(&changes), sorted_hashes(&all));
        // Compressed columns there are, and they inflate; but to less than the changes one by
        // one, and far less than the cap.
        assert!(inflated > 2 * bundle.len(), "{inflated} against {}", bundle.len());
        assert!(inflated < one_by_one, "{inflated} against {one_by_one}");
        assert!(inflated < MAX_BUNDLE_INFLATED / 10);

        // The guard reads the layout as Automerge does: the same bundle with every column
        // inflated by hand is as long as the guard said, and Automerge reads the same changes.
        // (Only the column lengths in the metadata grow by a byte or two.)
        let plain = inflate_all(&bundle);
        let plain_size = check(&plain).unwrap();
        assert!((inflated..inflated + 4 * MAX_COLUMNS).contains(&plain_size), "{plain_size} against {inflated}");
        assert!((10..=14).contains(&(plain.len() - plain_size)), "the header");
        assert_eq!(sorted_hashes(&parse_bundle(&plain).unwrap()), sorted_hashes(&all));
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
        assert_eq!(inflated_size(&bomb, 1 << 20), Err(BundleGuardError::TooLarge { cap: 1 << 20 }));
        let small_cap = started.elapsed();
        eprintln!("bomb of {} B refused in {took:?} (cap 64 MiB), {small_cap:?} (cap 1 MiB)", bomb.len());
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(small_cap < took, "{small_cap:?} against {took:?}");

        // Spread over many columns and both sections, the total counts.
        let part = zeros_deflated(MAX_BUNDLE_INFLATED / 8);
        let columns: Vec<(u32, Vec<u8>)> = (0..5).map(|i| ((i << 4) | DEFLATE_BIT, part.clone())).collect();
        let spread = chunk(CHUNK_TYPE_BUNDLE, &body(&columns, &columns));
        assert_eq!(check(&spread), Err(BundleGuardError::TooLarge { cap: MAX_BUNDLE_INFLATED }));
        let under = chunk(CHUNK_TYPE_BUNDLE, &body(&columns, &columns[..2]));
        let size = check(&under).unwrap();
        assert!(size > 7 * (MAX_BUNDLE_INFLATED / 8), "{size}");
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
        assert_eq!(inflated_size(&bundle, size - 1), Err(BundleGuardError::TooLarge { cap: size - 1 }));
    }

    #[test]
    fn truncated_and_trailing_bytes_are_refused() {
        let bundle = SMALL.with(Clone::clone);
        assert!(check(&bundle).is_ok());
        let n = bundle.len();
        let cuts = (0..n.min(300)).chain((300..n).step_by(61)).chain(n.saturating_sub(300)..n);
        for cut in cuts {
            assert!(check(&bundle[..cut]).is_err(), "cut at {cut} of {n}");
        }
        let mut longer = bundle.clone();
        longer.push(0);
        assert_eq!(check(&longer), Err(BundleGuardError::TrailingBytes(1)));
        // Bytes after the op columns, inside the chunk.
        let data = body(&[], &[(PLAIN, vec![1, 2, 3])]);
        let mut inside = data.clone();
        inside.extend([9, 9]);
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &data)).map(|_| ()), Ok(()));
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &inside)), Err(BundleGuardError::TrailingBytes(2)));
    }

    #[test]
    fn a_compressed_column_must_be_one_whole_deflate_stream() {
        let stream = deflated(&[5; 10_000]);
        let whole = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, stream.clone())]));
        assert!(check(&whole).is_ok());
        let short = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, stream[..stream.len() - 2].to_vec())]));
        assert_eq!(check(&short), Err(BundleGuardError::BadDeflate));
        let mut more = stream.clone();
        more.push(0);
        let after = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, more)]));
        assert_eq!(check(&after), Err(BundleGuardError::BadDeflate));
        let garbage = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, vec![0xff; 40])]));
        assert_eq!(check(&garbage), Err(BundleGuardError::BadDeflate));
        let empty = chunk(CHUNK_TYPE_BUNDLE, &body(&[], &[(DEFLATED, Vec::new())]));
        assert_eq!(check(&empty), Err(BundleGuardError::BadDeflate));
    }

    #[test]
    fn a_wrong_chunk_or_lying_numbers_are_refused_at_once() {
        let data = body(&[], &[]);
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &data)), Ok(data.len()));
        for other in [0, 1, 2, 4, 255] {
            assert_eq!(check(&chunk(other, &data)), Err(BundleGuardError::WrongChunkType(other)));
        }
        let mut magic = chunk(CHUNK_TYPE_BUNDLE, &data);
        magic[0] ^= 1;
        assert_eq!(check(&magic), Err(BundleGuardError::NotAChunk));
        assert_eq!(check(&[]), Err(BundleGuardError::Truncated("magic bytes")));

        // A chunk length beyond the input, or not a number.
        let mut long = MAGIC.to_vec();
        long.extend([0, 0, 0, 0, CHUNK_TYPE_BUNDLE]);
        let mut huge = long.clone();
        leb(u64::MAX, &mut huge);
        assert!(matches!(check(&huge), Err(BundleGuardError::TooLong { claimed: u64::MAX, .. })));
        let mut eleven = long.clone();
        eleven.extend([0xff; 10]);
        eleven.push(0);
        assert_eq!(check(&eleven), Err(BundleGuardError::BadNumber("data length")));
        let mut overlong = long.clone();
        overlong.extend([0x80, 0x00]);
        assert_eq!(check(&overlong), Err(BundleGuardError::BadNumber("data length")));

        // Counts that the input cannot hold.
        let deps = |count: u64, extra: usize| {
            let mut d = Vec::new();
            leb(count, &mut d);
            d.extend(vec![0; extra]);
            chunk(CHUNK_TYPE_BUNDLE, &d)
        };
        assert!(matches!(check(&deps(u64::MAX, 0)), Err(BundleGuardError::TooMany { what: "change hashes", .. })));
        assert!(matches!(check(&deps(2, 63)), Err(BundleGuardError::TooMany { what: "change hashes", .. })));
        let mut actors = vec![0];
        leb(1 << 40, &mut actors);
        assert!(matches!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &actors)),
            Err(BundleGuardError::TooMany { what: "actor ids", .. })
        ));
        let mut actor = vec![0, 1];
        leb(33, &mut actor);
        actor.extend([0; 32]);
        assert!(matches!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &actor)),
            Err(BundleGuardError::TooLong { what: "actor id length", claimed: 33, left: 32 })
        ));

        // Too many columns, a column spec beyond 32 bits, lengths beyond the input or whose sum
        // overflows.
        let columns: Vec<(u32, Vec<u8>)> = (0..65).map(|i| (i << 4, vec![1])).collect();
        assert!(matches!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &body(&columns, &[]))),
            Err(BundleGuardError::TooMany { what: "change columns", count: 65, .. })
        ));
        assert!(check(&chunk(CHUNK_TYPE_BUNDLE, &body(&columns[..64], &columns[..64]))).is_ok());
        let mut spec = vec![0, 0, 1];
        leb(1 << 32, &mut spec);
        spec.extend([0, 0]);
        assert_eq!(check(&chunk(CHUNK_TYPE_BUNDLE, &spec)), Err(BundleGuardError::BadNumber("column specification")));
        let beyond = [0, 0, 2, 0x10, 2, 0x20, 3, 1, 2, 3, 4];
        assert_eq!(
            check(&chunk(CHUNK_TYPE_BUNDLE, &beyond)),
            Err(BundleGuardError::TooLong { what: "change columns", claimed: 5, left: 4 })
        );
        let mut overflow = vec![0, 0, 2, 0x10];
        leb(u64::MAX / 2 + 1, &mut overflow);
        overflow.push(0x20);
        leb(u64::MAX / 2 + 1, &mut overflow);
        assert!(check(&chunk(CHUNK_TYPE_BUNDLE, &overflow)).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Any bytes at all: a size within the cap, or a refusal; never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), bundle_header in any::<bool>()) {
            let input = if bundle_header { chunk(CHUNK_TYPE_BUNDLE, &bytes) } else { bytes };
            if let Ok(size) = inflated_size(&input, 4096) {
                prop_assert!(size <= 4096);
            }
            let _ = check(&input);
        }

        /// Hand-made layouts with arbitrary (compressed or not) columns: never a panic, and an
        /// accepted size is what the columns hold.
        #[test]
        fn made_up_columns_never_panic(
            columns in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 0..300), any::<bool>()), 0..6),
            cap in 0usize..20_000,
        ) {
            let columns: Vec<(u32, Vec<u8>)> = columns
                .into_iter()
                .map(|(spec, data, deflate)| if deflate { (spec | DEFLATE_BIT, deflated(&data)) } else { (spec & !DEFLATE_BIT, data) })
                .collect();
            let half = columns.len() / 2;
            let data = body(&columns[..half], &columns[half..]);
            let bundle = chunk(CHUNK_TYPE_BUNDLE, &data);
            let result = inflated_size(&bundle, cap);
            prop_assert!(result.is_ok() || result == Err(BundleGuardError::TooLarge { cap }), "{result:?}");
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
            let mut bytes = SMALL.with(Clone::clone);
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
