//! Uploaded inputs (recordings, files): written as a stream, read back by the
//! worker, deleted when their job ends. One interface — `object_store` — over
//! a local directory (the embedded default) and S3-compatible storage.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use myqa_core::config::BlobLocation;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use uuid::Uuid;

/// Where a job's inputs live: `inputs/{job_id}/{name}`.
pub fn input_key(job_id: Uuid, name: &str) -> String {
    format!("inputs/{job_id}/{name}")
}

const INPUTS: &str = "inputs";

/// Multipart part size: what one upload holds in memory while streaming.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("blob storage: {0}")]
    Unsupported(String),
}

pub type BlobResult<T> = Result<T, BlobError>;

/// The blob store of this deployment.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Set for a local directory: blobs are files there and can be opened
    /// in place instead of being copied.
    local_root: Option<Arc<LocalFileSystem>>,
    description: String,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.description)
    }
}

/// A blob being written. Dropped before [`BlobWriter::finish`], it leaves
/// nothing behind (the local store deletes its staging file).
pub struct BlobWriter {
    writer: WriteMultipart,
    written: u64,
}

impl BlobWriter {
    pub async fn write(&mut self, bytes: &[u8]) -> BlobResult<()> {
        self.writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        self.writer.write(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub async fn finish(self) -> BlobResult<u64> {
        self.writer.finish().await?;
        Ok(self.written)
    }

    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "cannot abort a blob upload");
        }
    }
}

/// A blob as a file on this machine, for decoders that read files.
pub struct LocalBlob {
    pub path: PathBuf,
    /// Set when the blob was downloaded into a temporary file, removed on drop.
    _temporary: Option<tempfile::TempPath>,
}

impl BlobStore {
    pub fn open(location: &BlobLocation) -> BlobResult<BlobStore> {
        match location {
            BlobLocation::Local(dir) => {
                std::fs::create_dir_all(dir)?;
                let local =
                    Arc::new(LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true));
                Ok(BlobStore {
                    store: local.clone(),
                    local_root: Some(local),
                    description: format!("file://{}", dir.display()),
                })
            }
            BlobLocation::S3 { .. } => Err(BlobError::Unsupported(
                "s3:// blob storage is not available in this build yet; use a file:// directory"
                    .into(),
            )),
        }
    }

    /// Where `key` is on this machine's disk, for a local store.
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        let local = self.local_root.as_ref()?;
        local.path_to_filesystem(&Path::from(key)).ok()
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Starts writing `key`.
    pub async fn writer(&self, key: &str) -> BlobResult<BlobWriter> {
        let upload = self.store.put_multipart(&Path::from(key)).await?;
        Ok(BlobWriter {
            writer: WriteMultipart::new_with_chunk_size(upload, PART_SIZE),
            written: 0,
        })
    }

    /// Bytes `range` of `key` (fewer at the end of the blob).
    pub async fn read_range(&self, key: &str, range: Range<u64>) -> BlobResult<Bytes> {
        let path = Path::from(key);
        let size = self.store.head(&path).await?.size;
        let range = range.start.min(size)..range.end.min(size);
        Ok(self.store.get_range(&path, range).await?)
    }

    /// `key` as a local file: in place for a local store, else downloaded to
    /// a temporary file under `scratch`.
    pub async fn local_file(&self, key: &str, scratch: &std::path::Path) -> BlobResult<LocalBlob> {
        if let Some(path) = self.local_path(key) {
            return Ok(LocalBlob {
                path,
                _temporary: None,
            });
        }
        let path = Path::from(key);
        std::fs::create_dir_all(scratch)?;
        let temporary = tempfile::NamedTempFile::new_in(scratch)?.into_temp_path();
        let mut file = tokio::fs::File::create(&temporary).await?;
        let mut stream = self.store.get(&path).await?.into_stream();
        while let Some(chunk) = stream.next().await {
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk?).await?;
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await?;
        Ok(LocalBlob {
            path: temporary.to_path_buf(),
            _temporary: Some(temporary),
        })
    }

    /// Deletes one blob. A missing blob is fine.
    pub async fn delete(&self, key: &str) -> BlobResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every blob of a job. Missing blobs are fine.
    pub async fn delete_inputs(&self, job_id: Uuid) -> BlobResult<()> {
        let prefix = Path::from(format!("{INPUTS}/{job_id}"));
        let mut listing = self.store.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            match self.store.delete(&meta?.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Jobs that have inputs stored, with the time the newest was written.
    pub async fn jobs_with_inputs(&self) -> BlobResult<Vec<(Uuid, DateTime<Utc>)>> {
        let mut jobs: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
        let mut listing = self.store.list(Some(&Path::from(INPUTS)));
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let Some(id) = meta
                .location
                .parts()
                .nth(1)
                .and_then(|p| Uuid::parse_str(p.as_ref()).ok())
            else {
                continue;
            };
            match jobs.iter_mut().find(|(j, _)| *j == id) {
                Some((_, at)) => *at = (*at).max(meta.last_modified),
                None => jobs.push((id, meta.last_modified)),
            }
        }
        Ok(jobs)
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn is_ready(&self) -> bool {
        self.store
            .list_with_delimiter(Some(&Path::from(INPUTS)))
            .await
            .is_ok()
    }
}
