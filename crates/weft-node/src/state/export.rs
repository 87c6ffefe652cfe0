//! Handlers for exports (CSV, ValueFlows JSON-LD, raw Automerge) and the directory's status.

use weft_core::CommunityId;
use weft_core::doc::ledger::LedgerView;
use weft_core::doc::{DocId, DocName};

use super::State;
use crate::api::{DocStatus, ExportData, ExportFormatInput, Response, StatusInfo};
use crate::error::{NodeError, Refusal};

impl State {
    pub(super) fn export(
        &mut self,
        community: Option<&str>,
        format: ExportFormatInput,
        doc: Option<DocName>,
    ) -> Result<Response, NodeError> {
        let c = self.resolve_community(community)?;
        self.export_of(c, format, doc).map(Response::Export)
    }

    fn export_of(
        &mut self,
        c: CommunityId,
        format: ExportFormatInput,
        doc: Option<DocName>,
    ) -> Result<ExportData, NodeError> {
        use weft_core::export;
        let today = self.clock.today();
        match (format, doc) {
            (ExportFormatInput::Valueflows, _) => self.read_all_ledgers(c)?,
            // The raw document itself, loaded if it rests.
            (ExportFormatInput::Automerge, Some(DocName::Ledger(y))) => self.load_ledger(c, y)?,
            (ExportFormatInput::Automerge, Some(DocName::Board)) => self.load_board(c)?,
            (_, Some(DocName::Ledger(y))) => self.read_ledger(c, y)?,
            (ExportFormatInput::Csv, None) => self.read_ledger(c, today.year())?,
            (ExportFormatInput::Automerge, Some(DocName::Commons)) => {
                let name = self.community(c)?.people().name.clone();
                let slug = weft_core::SkillId::slugify(&name).map_or_else(|_| "community".into(), |s| s.to_string());
                let bytes = self.load_commons_doc(c)?.doc().ok_or(NodeError::Stopped)?.save();
                return Ok(ExportData {
                    format,
                    suggested_name: format!("{slug}-commons.automerge"),
                    base64: data_encoding::BASE64.encode(&bytes),
                });
            }
            _ => {}
        }
        let com = self.community(c)?;
        let v = com.views();
        let (people, board) = (v.people, v.board);
        let slug =
            weft_core::SkillId::slugify(&people.name).map(|s| s.to_string()).unwrap_or_else(|_| "community".into());
        let b64 = |bytes: &[u8]| data_encoding::BASE64.encode(bytes);
        let (name, bytes) = match format {
            ExportFormatInput::Csv => {
                let doc = doc.unwrap_or(DocName::Ledger(today.year()));
                let (text, what) = match doc {
                    DocName::People => (export::members_csv(people), "members".to_owned()),
                    DocName::Board => (export::tasks_csv(people, board), "tasks".to_owned()),
                    DocName::Ledger(y) => {
                        let empty = LedgerView::default();
                        let ledger = v.ledgers.get(&y).unwrap_or(&empty);
                        (export::hours_csv(people, board, &[ledger]), format!("hours-{y}"))
                    }
                    DocName::Commons => {
                        return Err(NodeError::NotFound(
                            "the commons has no CSV export: choose people, board or ledger/YYYY".into(),
                        ));
                    }
                };
                let text = text.map_err(|e| NodeError::Write(e.to_string()))?;
                (format!("{slug}-{what}.csv"), text.into_bytes())
            }
            ExportFormatInput::Valueflows => {
                if doc.is_some() {
                    return Err(Refusal::ValueflowsWholeCommunity.into());
                }
                let ledgers: Vec<&LedgerView> = v.ledgers.values().collect();
                let value = export::valueflows(c, people, board, &ledgers);
                let text = serde_json::to_string_pretty(&value).map_err(|e| NodeError::Write(e.to_string()))?;
                (format!("{slug}-valueflows.jsonld"), text.into_bytes())
            }
            ExportFormatInput::Automerge => {
                let doc = doc.ok_or_else(|| NodeError::from(Refusal::ExportDocNeeded))?;
                let found =
                    self.community(c)?.doc(doc).ok_or_else(|| NodeError::from(Refusal::NoSuchDocument { doc }))?;
                (format!("{slug}-{}.automerge", doc.to_string().replace('/', "-")), found.save())
            }
        };
        Ok(ExportData { format, suggested_name: name, base64: b64(&bytes) })
    }

    pub(super) fn status(&mut self) -> Result<StatusInfo, NodeError> {
        let mut documents = Vec::new();
        for (c, com) in &self.communities {
            for name in self.store.doc_names(*c)? {
                let id = DocId { community: *c, name };
                documents.push(DocStatus {
                    community: *c,
                    name,
                    changes: self.store.change_count(id)?,
                    logged_since_snapshot: self.store.log_size(id)?.0,
                    in_memory: com.doc(name).is_some()
                        || (name == DocName::Commons && self.commons.get(c).is_some_and(|h| h.doc().is_some())),
                });
            }
        }
        // Neighbours' documents held here: their commons, and never anything else.
        for row in self.store.neighbours()? {
            let c = row.id;
            if self.communities.contains_key(&c) {
                continue;
            }
            for name in self.store.doc_names(c)? {
                let id = DocId { community: c, name };
                documents.push(DocStatus {
                    community: c,
                    name,
                    changes: self.store.change_count(id)?,
                    logged_since_snapshot: self.store.log_size(id)?.0,
                    in_memory: name == DocName::Commons && self.commons.get(&c).is_some_and(|h| h.doc().is_some()),
                });
            }
        }
        Ok(StatusInfo {
            data_dir: self.dir.path().display().to_string(),
            disk_bytes: self.store.disk_usage()?,
            identity: self.whoami().ok(),
            documents,
            recovered: self.recovered.as_ref().map(super::recovery::Recovered::info),
        })
    }
}
