//! Reading typed records out of Automerge maps. Every value is checked: a record written by a
//! buggy or hostile peer that slipped past verification is skipped with a `SchemaError`, never
//! a panic.

use std::collections::BTreeMap;
use std::str::FromStr;

use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValueRef, ValueRef};

use crate::time::{Minutes, Timestamp};

/// A record that does not have the shape the schema says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record '{record}': field '{field}' {problem}")]
pub struct SchemaError {
    pub record: String,
    pub field: String,
    pub problem: String,
}

/// One field of a record, owned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Str(String),
    Uint(u64),
    Bool(bool),
    Timestamp(i64),
    Bytes(Vec<u8>),
    Map(ObjId),
    Other,
}

/// A map record's fields.
#[derive(Debug)]
pub(crate) struct Record {
    name: String,
    fields: BTreeMap<String, Field>,
}

pub(crate) fn field_of(value: ValueRef<'_>, id: ObjId) -> Field {
    match value {
        ValueRef::Object(ObjType::Map) => Field::Map(id),
        ValueRef::Object(_) => Field::Other,
        ValueRef::Scalar(s) => match s {
            ScalarValueRef::Str(s) => Field::Str(s.into_owned()),
            ScalarValueRef::Uint(u) => Field::Uint(u),
            ScalarValueRef::Int(i) => u64::try_from(i).map(Field::Uint).unwrap_or(Field::Other),
            ScalarValueRef::Boolean(b) => Field::Bool(b),
            ScalarValueRef::Timestamp(t) => Field::Timestamp(t),
            ScalarValueRef::Bytes(b) => Field::Bytes(b.into_owned()),
            _ => Field::Other,
        },
    }
}

/// The map at `key` of the root, if there is one.
pub(crate) fn root_map(doc: &Automerge, key: &str) -> Option<ObjId> {
    match doc.get(ROOT, key) {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

/// The map at `key` of `obj`, if there is one.
pub(crate) fn child_map(doc: &Automerge, obj: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(obj, key) {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

/// Every `(key, map)` entry of a map of records, in key order; non-map values are skipped.
pub(crate) fn records(doc: &Automerge, obj: &ObjId) -> Vec<(String, ObjId)> {
    doc.map_range(obj, ..)
        .filter_map(|item| match item.value {
            ValueRef::Object(ObjType::Map) => {
                let id = item.id();
                Some((item.key.into_owned(), id))
            }
            _ => None,
        })
        .collect()
}

/// Every `(key, field)` of a map.
pub(crate) fn fields(doc: &Automerge, obj: &ObjId) -> Vec<(String, Field)> {
    doc.map_range(obj, ..)
        .map(|item| {
            let id = item.id();
            (item.key.to_string(), field_of(item.value, id))
        })
        .collect()
}

impl Record {
    pub(crate) fn read(doc: &Automerge, obj: &ObjId, name: &str) -> Self {
        Self { name: name.to_owned(), fields: fields(doc, obj).into_iter().collect() }
    }

    fn err(&self, field: &str, problem: impl Into<String>) -> SchemaError {
        SchemaError { record: self.name.clone(), field: field.to_owned(), problem: problem.into() }
    }

    pub(crate) fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    fn get(&self, field: &str) -> Result<&Field, SchemaError> {
        self.fields.get(field).ok_or_else(|| self.err(field, "is missing"))
    }

    pub(crate) fn str(&self, field: &str) -> Result<&str, SchemaError> {
        match self.get(field)? {
            Field::Str(s) => Ok(s),
            _ => Err(self.err(field, "is not text")),
        }
    }

    pub(crate) fn opt_str(&self, field: &str) -> Result<Option<&str>, SchemaError> {
        if self.fields.contains_key(field) { self.str(field).map(Some) } else { Ok(None) }
    }

    pub(crate) fn parse<T: FromStr>(&self, field: &str) -> Result<T, SchemaError> {
        let s = self.str(field)?;
        s.parse().map_err(|_| self.err(field, format!("has an invalid value '{s}'")))
    }

    pub(crate) fn opt_parse<T: FromStr>(&self, field: &str) -> Result<Option<T>, SchemaError> {
        if self.fields.contains_key(field) { self.parse(field).map(Some) } else { Ok(None) }
    }

    pub(crate) fn uint(&self, field: &str) -> Result<u64, SchemaError> {
        match self.get(field)? {
            Field::Uint(u) => Ok(*u),
            _ => Err(self.err(field, "is not a whole number")),
        }
    }

    pub(crate) fn u32(&self, field: &str) -> Result<u32, SchemaError> {
        u32::try_from(self.uint(field)?).map_err(|_| self.err(field, "is too large"))
    }

    pub(crate) fn minutes(&self, field: &str) -> Result<Minutes, SchemaError> {
        self.u32(field).map(Minutes)
    }

    pub(crate) fn bool(&self, field: &str) -> Result<bool, SchemaError> {
        match self.get(field)? {
            Field::Bool(b) => Ok(*b),
            _ => Err(self.err(field, "is not true or false")),
        }
    }

    /// A flag that is false when absent.
    pub(crate) fn flag(&self, field: &str) -> Result<bool, SchemaError> {
        if self.fields.contains_key(field) { self.bool(field) } else { Ok(false) }
    }

    pub(crate) fn timestamp(&self, field: &str) -> Result<Timestamp, SchemaError> {
        match self.get(field)? {
            Field::Timestamp(t) => Ok(Timestamp(*t)),
            _ => Err(self.err(field, "is not a timestamp")),
        }
    }

    pub(crate) fn bytes<const N: usize>(&self, field: &str) -> Result<[u8; N], SchemaError> {
        match self.get(field)? {
            Field::Bytes(b) => b.as_slice().try_into().map_err(|_| self.err(field, format!("is not {N} bytes"))),
            _ => Err(self.err(field, "is not bytes")),
        }
    }

    pub(crate) fn map(&self, field: &str) -> Result<&ObjId, SchemaError> {
        match self.get(field)? {
            Field::Map(id) => Ok(id),
            _ => Err(self.err(field, "is not a map")),
        }
    }
}
