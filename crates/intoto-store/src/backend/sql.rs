//! The SQL both backends run, written once: the schema is the same and
//! every statement is built with [`sqlx::QueryBuilder`], which writes each
//! database's own placeholders. [`sql_store!`] implements the group
//! commit's [`BatchWriter`](super::batch::BatchWriter) and [`Store`](super::Store)
//! for a backend's store and writer types; each backend keeps only how it
//! connects and its migrations.

/// The columns of a [`StoredAttestation`](super::StoredAttestation), from
/// `attestations a`.
pub(super) const COLUMNS: &str = "a.seq, a.id, a.gitoid, a.kind, a.envelope, a.payload_type, a.predicate_type, a.step, a.signers, a.size, a.stored_at";

/// Implements `BatchWriter` for `$writer` and `Store` for `$store` (both
/// with a `pool` field) over the database `$db` with rows `$row`.
macro_rules! sql_store {
    ($store:ident, $writer:ident, $db:ty, $row:ty, $name:literal) => {
        fn row(r: &$row) -> Result<$crate::backend::StoredAttestation, $crate::backend::StoreError> {
            use sqlx::Row as _;
            Ok($crate::backend::StoredAttestation {
                seq: r.try_get("seq")?,
                id: r.try_get("id")?,
                gitoid: r.try_get("gitoid")?,
                kind: r.try_get("kind")?,
                envelope: r.try_get("envelope")?,
                payload_type: r.try_get("payload_type")?,
                predicate_type: r.try_get("predicate_type")?,
                step: r.try_get("step")?,
                signers: $crate::backend::signers_from_column(r.try_get("signers")?),
                size: r.try_get("size")?,
                stored_at: $crate::backend::rfc3339(r.try_get("stored_at")?),
            })
        }

        impl $crate::backend::batch::BatchWriter for $writer {
            fn write(
                &self,
                records: Vec<$crate::backend::Record>,
            ) -> $crate::backend::StoreFuture<'_, Vec<$crate::backend::PutOutcome>> {
                use $crate::backend::{ARTIFACT_ROWS_PER_INSERT, PutOutcome, Role, signers_column};
                Box::pin(async move {
                    let now = chrono::Utc::now().timestamp();
                    let mut tx = self.pool.begin().await?;
                    let mut out = Vec::with_capacity(records.len());
                    for r in &records {
                        let i = &r.indexed;
                        let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                            "INSERT INTO attestations (id, gitoid, kind, envelope, payload_type, predicate_type, step, signers, size, stored_at, bytes) ",
                        );
                        qb.push_values([r], |mut b, r| {
                            b.push_bind(r.id.as_str())
                                .push_bind(r.gitoid.as_str())
                                .push_bind(i.kind)
                                .push_bind(i.envelope)
                                .push_bind(i.payload_type.as_deref())
                                .push_bind(i.predicate_type.as_deref())
                                .push_bind(i.step.as_deref())
                                .push_bind(signers_column(&i.signers))
                                .push_bind(i64::try_from(r.bytes.len()).unwrap_or(i64::MAX))
                                .push_bind(now)
                                .push_bind(r.bytes.as_slice());
                        });
                        qb.push(" ON CONFLICT (id) DO NOTHING RETURNING seq");
                        let seq: Option<i64> =
                            qb.build_query_scalar().fetch_optional(&mut *tx).await?;
                        if let Some(seq) = seq {
                            for (role, list) in
                                [(Role::Subject, &i.subjects), (Role::Material, &i.materials)]
                            {
                                for chunk in list.chunks(ARTIFACT_ROWS_PER_INSERT) {
                                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                                        "INSERT INTO artifacts (seq, role, algorithm, digest, name) ",
                                    );
                                    qb.push_values(chunk, |mut b, a| {
                                        b.push_bind(seq)
                                            .push_bind(role as i16)
                                            .push_bind(a.algorithm.as_str())
                                            .push_bind(a.digest.as_str())
                                            .push_bind(a.name.as_deref());
                                    });
                                    qb.build().execute(&mut *tx).await?;
                                }
                            }
                        }
                        out.push(PutOutcome {
                            id: r.id.to_string(),
                            gitoid: r.gitoid.clone(),
                            created: seq.is_some(),
                        });
                    }
                    tx.commit().await?;
                    Ok(out)
                })
            }
        }

        impl $store {
            /// The bytes of the attestation whose `column` is `value`.
            async fn bytes_where(
                &self,
                column: &'static str,
                value: String,
            ) -> Result<Option<Vec<u8>>, $crate::backend::StoreError> {
                let mut qb: sqlx::QueryBuilder<$db> =
                    sqlx::QueryBuilder::new(format!("SELECT bytes FROM attestations WHERE {column} = "));
                qb.push_bind(value);
                Ok(qb.build_query_scalar().fetch_optional(&self.pool).await?)
            }
        }

        impl $crate::backend::Store for $store {
            fn put(
                &self,
                records: Vec<$crate::backend::Record>,
            ) -> $crate::backend::StoreFuture<'_, Vec<$crate::backend::PutOutcome>> {
                Box::pin(self.batcher.put(records))
            }

            fn get(
                &self,
                id: &$crate::id::AttestationId,
            ) -> $crate::backend::StoreFuture<'_, Option<Vec<u8>>> {
                Box::pin(self.bytes_where("id", id.to_string()))
            }

            fn get_by_gitoid(
                &self,
                gitoid: &str,
            ) -> $crate::backend::StoreFuture<'_, Option<Vec<u8>>> {
                Box::pin(self.bytes_where("gitoid", gitoid.to_ascii_lowercase()))
            }

            fn describe(
                &self,
                id: &$crate::id::AttestationId,
            ) -> $crate::backend::StoreFuture<'_, Option<$crate::backend::StoredAttestation>> {
                let id = id.to_string();
                Box::pin(async move {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                        "SELECT {} FROM attestations a WHERE a.id = ",
                        $crate::backend::sql::COLUMNS
                    ));
                    qb.push_bind(id);
                    let found = qb.build().fetch_optional(&self.pool).await?;
                    found.as_ref().map(row).transpose()
                })
            }

            fn find(
                &self,
                query: &$crate::backend::Query,
            ) -> $crate::backend::StoreFuture<'_, $crate::backend::Page> {
                use $crate::backend::Role;
                let query = query.clone();
                Box::pin(async move {
                    let limit = $crate::backend::page_limit(Some(query.limit));
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                        "SELECT {} FROM ",
                        $crate::backend::sql::COLUMNS
                    ));
                    let filter = match (&query.subject, &query.material) {
                        (Some(d), _) => Some((Role::Subject, d)),
                        (None, Some(d)) => Some((Role::Material, d)),
                        (None, None) => None,
                    };
                    let order = if let Some((role, d)) = filter {
                        qb.push("artifacts r JOIN attestations a ON a.seq = r.seq WHERE r.role = ")
                            .push_bind(role as i16)
                            .push(" AND r.algorithm = ")
                            .push_bind(d.algorithm.clone())
                            .push(" AND r.digest = ")
                            .push_bind(d.digest.clone());
                        "r.seq"
                    } else {
                        qb.push("attestations a WHERE 1 = 1");
                        "a.seq"
                    };
                    if let Some(t) = &query.predicate_type {
                        qb.push(" AND a.predicate_type = ").push_bind(t.clone());
                    }
                    if let Some(s) = &query.step {
                        qb.push(" AND a.step = ").push_bind(s.clone());
                    }
                    if let Some(after) = query.after {
                        qb.push(format!(" AND {order} > ")).push_bind(after);
                    }
                    qb.push(format!(" ORDER BY {order} LIMIT "))
                        .push_bind(i64::from(limit) + 1);
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    let mut items = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
                    let next = if items.len() > limit as usize {
                        items.truncate(limit as usize);
                        items.last().map(|i| i.seq.to_string())
                    } else {
                        None
                    };
                    Ok($crate::backend::Page { items, next })
                })
            }

            fn find_any(
                &self,
                role: $crate::backend::Role,
                digests: &[$crate::backend::DigestRef],
                limit: u32,
            ) -> $crate::backend::StoreFuture<'_, Vec<$crate::backend::StoredAttestation>> {
                let digests = digests.to_vec();
                Box::pin(async move {
                    let mut found = Vec::new();
                    let mut seen = std::collections::HashSet::new();
                    for chunk in digests.chunks(200) {
                        let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                            "SELECT DISTINCT {} FROM artifacts r JOIN attestations a ON a.seq = r.seq WHERE r.role = ",
                            $crate::backend::sql::COLUMNS
                        ));
                        qb.push_bind(role as i16).push(" AND (");
                        for (n, d) in chunk.iter().enumerate() {
                            if n > 0 {
                                qb.push(" OR ");
                            }
                            qb.push("(r.algorithm = ")
                                .push_bind(d.algorithm.clone())
                                .push(" AND r.digest = ")
                                .push_bind(d.digest.clone())
                                .push(")");
                        }
                        qb.push(") ORDER BY a.seq LIMIT ").push_bind(i64::from(limit));
                        for r in qb.build().fetch_all(&self.pool).await? {
                            let item = row(&r)?;
                            if seen.insert(item.seq) {
                                found.push(item);
                            }
                        }
                        if found.len() >= limit as usize {
                            found.truncate(limit as usize);
                            break;
                        }
                    }
                    Ok(found)
                })
            }

            fn count(&self) -> $crate::backend::StoreFuture<'_, u64> {
                Box::pin(async move {
                    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM attestations")
                        .fetch_one(&self.pool)
                        .await?;
                    Ok(u64::try_from(n).unwrap_or(0))
                })
            }

            fn backend(&self) -> &'static str {
                $name
            }
        }
    };
}

pub(super) use sql_store;
