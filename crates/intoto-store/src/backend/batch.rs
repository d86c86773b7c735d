//! Group commit: concurrent uploads are written by one task, as many as
//! are waiting (up to [`MAX_BATCH_RECORDS`]) in one transaction, and each
//! upload is acknowledged only after that transaction commits. A commit
//! costs one flush to disk whether it holds one document or a thousand, so
//! the store is durable per acknowledgement and fast under load.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{PutOutcome, Record, StoreError, StoreFuture};

/// The most documents written in one transaction (an upload is never
/// split: a larger one is a transaction of its own).
pub const MAX_BATCH_RECORDS: usize = 2000;

/// Writes records in one transaction.
pub trait BatchWriter: Send + Sync + 'static {
    /// Writes all of `records`, or none.
    fn write(&self, records: Vec<Record>) -> StoreFuture<'_, Vec<PutOutcome>>;
}

struct Job {
    records: Vec<Record>,
    reply: oneshot::Sender<Result<Vec<PutOutcome>, StoreError>>,
}

/// The queue in front of the one writer task.
#[derive(Clone)]
pub struct Batcher {
    jobs: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the writer task (on the current tokio runtime).
    pub fn start(writer: Arc<dyn BatchWriter>) -> Self {
        let (jobs, mut queue) = mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut total = first.records.len();
                let mut batch = vec![first];
                while total < MAX_BATCH_RECORDS {
                    match queue.try_recv() {
                        Ok(job) => {
                            total += job.records.len();
                            batch.push(job);
                        }
                        Err(_) => break,
                    }
                }
                let mut counts = Vec::with_capacity(batch.len());
                let mut records = Vec::with_capacity(total);
                let mut replies = Vec::with_capacity(batch.len());
                for job in batch {
                    counts.push(job.records.len());
                    records.extend(job.records);
                    replies.push(job.reply);
                }
                if replies.len() == 1 {
                    let result = writer.write(records).await;
                    if let Err(e) = &result {
                        tracing::error!(error = %e, "store write failed");
                    }
                    for reply in replies {
                        let _ = reply.send(result.clone());
                    }
                    continue;
                }
                match writer.write(records.clone()).await {
                    Ok(outcomes) => {
                        let mut outcomes = outcomes.into_iter();
                        for (reply, n) in replies.into_iter().zip(counts) {
                            // The uploader may have gone; its documents are
                            // stored all the same.
                            let _ = reply.send(Ok(outcomes.by_ref().take(n).collect()));
                        }
                    }
                    Err(_) => {
                        // One upload's failure must not fail the others
                        // written with it: each again, alone.
                        let mut records = records.into_iter();
                        for (reply, n) in replies.into_iter().zip(counts) {
                            let own: Vec<Record> = records.by_ref().take(n).collect();
                            let result = writer.write(own).await;
                            if let Err(e) = &result {
                                tracing::error!(error = %e, "store write failed");
                            }
                            let _ = reply.send(result);
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Queues `records` and waits for their commit.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the transaction failed (nothing of it is stored).
    pub async fn put(&self, records: Vec<Record>) -> Result<Vec<PutOutcome>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { records, reply })
            .await
            .map_err(|_| StoreError("the store is shutting down".into()))?;
        answer
            .await
            .map_err(|_| StoreError("the store writer stopped".into()))?
    }
}
