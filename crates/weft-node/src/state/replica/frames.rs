//! Encoding the changes of one of our sync frames.

use automerge::ChangeHash;
use tracing::warn;

/// Changes this many or more travel in a bundle.
const BUNDLE_FROM: usize = 32;

/// What one round sends: the Automerge sync message, the bundle of its changes (if bundled),
/// and the signatures that vouch for them.
#[derive(Debug, Default)]
pub(super) struct FrameBody {
    pub message: Option<Vec<u8>>,
    pub bundle: Option<Vec<u8>>,
    pub signatures: Vec<(ChangeHash, [u8; 64])>,
}

/// The changes of one frame: many as one bundle (several times smaller than the changes),
/// few (or if bundling fails) as the changes' own bytes.
pub(super) fn encode_changes(doc: &automerge::Automerge, hashes: &[ChangeHash]) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
    use automerge::ReadDoc;
    if hashes.len() >= BUNDLE_FROM {
        match doc.bundle(hashes.iter().copied()) {
            Ok(b) => return (Some(b.bytes().to_vec()), Vec::new()),
            Err(e) => warn!(%e, "could not bundle changes; sending them one by one"),
        }
    }
    let chunks = hashes.iter().filter_map(|h| doc.get_change_by_hash(h)).map(|c| c.raw_bytes().to_vec()).collect();
    (None, chunks)
}
