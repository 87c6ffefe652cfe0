//! Building a new record in one go. Automerge's batch creation splices a whole map (and the
//! maps inside it) into the op set at once instead of once per field, which is what makes a
//! year of a large community cheap to write. The ops are the same as field-by-field puts,
//! in a fixed order (keys sorted, breadth first), so changes stay deterministic.

use std::collections::HashMap;

use automerge::transaction::{Transactable, Transaction};
use automerge::{AutomergeError, ObjId, ScalarValue, hydrate};

/// A record's fields, to be created as one map.
#[derive(Debug, Default)]
pub(crate) struct Rec(HashMap<String, hydrate::Value>);

impl Rec {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn with(mut self, key: &str, value: hydrate::Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn str(self, key: &str, value: impl AsRef<str>) -> Self {
        self.with(key, value.as_ref().into())
    }

    pub(crate) fn uint(self, key: &str, value: u64) -> Self {
        self.with(key, value.into())
    }

    pub(crate) fn bool(self, key: &str, value: bool) -> Self {
        self.with(key, ScalarValue::Boolean(value).into())
    }

    pub(crate) fn timestamp(self, key: &str, millis: i64) -> Self {
        self.with(key, ScalarValue::Timestamp(millis).into())
    }

    pub(crate) fn bytes(self, key: &str, value: &[u8]) -> Self {
        self.with(key, ScalarValue::Bytes(value.to_vec()).into())
    }

    pub(crate) fn map(self, key: &str, value: Rec) -> Self {
        self.with(key, value.into_value())
    }

    pub(crate) fn opt_str(self, key: &str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    fn into_value(self) -> hydrate::Value {
        hydrate::Value::Map(hydrate::Map::from(self.0))
    }

    /// Creates the record at `parent[key]`.
    pub(crate) fn create(self, tx: &mut Transaction<'_>, parent: &ObjId, key: &str) -> Result<ObjId, AutomergeError> {
        tx.batch_create_object(parent, key, &self.into_value(), false)
    }
}

/// Deletes `obj[key]` if it is there (a field cleared that was never set writes nothing).
pub(crate) fn clear(tx: &mut Transaction<'_>, obj: &ObjId, key: &str) -> Result<(), AutomergeError> {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    if tx.get(obj, key)?.is_some() {
        tx.delete(obj, key)?;
    }
    Ok(())
}
