//! Uploaded inputs (recordings, files): written as a stream, read back by the
//! worker, deleted when their job ends. One interface — `object_store` — over
//! a local directory (the embedded default) and S3-compatible storage, where
//! every key lives under the configured prefix.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use myqa_core::config::{BlobLocation, S3Bucket};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use secrecy::ExposeSecret;
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
    Config(String),
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
/// nothing behind: the upload is aborted in the background (the local store
/// deletes its staging file, S3 discards the parts sent so far).
pub struct BlobWriter {
    /// `None` once finished or aborted.
    writer: Option<WriteMultipart>,
    written: u64,
}

impl BlobWriter {
    pub async fn write(&mut self, bytes: &[u8]) -> BlobResult<()> {
        let writer = self.writer.as_mut().expect("a blob writer in use");
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.write(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Completes the blob. A failure aborts the upload.
    pub async fn finish(mut self) -> BlobResult<u64> {
        let writer = self.writer.take().expect("a blob writer in use");
        writer.finish().await?;
        Ok(self.written)
    }

    pub async fn abort(mut self) {
        if let Some(writer) = self.writer.take() {
            abort(writer).await;
        }
    }
}

async fn abort(writer: WriteMultipart) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(error = %e, "cannot abort a blob upload");
    }
}

impl Drop for BlobWriter {
    /// A request that ends mid-upload (the client went away) drops its
    /// writer: abort the multipart upload rather than leave its parts in the
    /// bucket.
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(abort(writer));
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
            BlobLocation::S3(s3) => open_s3(s3),
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
            writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)),
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
        let mut jobs: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
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
            let at = jobs.entry(id).or_insert(meta.last_modified);
            *at = (*at).max(meta.last_modified);
        }
        Ok(jobs.into_iter().collect())
    }

    /// Asks the store for the first page of its inputs' listing (one request
    /// on S3): an error says why the store cannot be used (unreachable, no
    /// such bucket, credentials refused). For `/readyz`.
    pub async fn check(&self) -> BlobResult<()> {
        self.store
            .list(Some(&Path::from(INPUTS)))
            .next()
            .await
            .transpose()?;
        Ok(())
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn is_ready(&self) -> bool {
        self.check().await.is_ok()
    }
}

/// An S3-compatible bucket: what the configuration leaves unset comes from
/// the `AWS_*` environment variables (credentials, session token, region,
/// endpoint), then from the instance's role.
fn open_s3(s3: &S3Bucket) -> BlobResult<BlobStore> {
    // The workspace's reqwest brings rustls without a crypto provider: the
    // process uses ring (installing it twice is harmless).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
    if let Some(region) = &s3.region {
        builder = builder.with_region(region);
    }
    if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
        builder = builder
            .with_access_key_id(id.expose_secret())
            .with_secret_access_key(secret.expose_secret());
    }
    let endpoint = s3
        .endpoint
        .clone()
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::S3Endpoint))
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint))
        .map(|e| e.trim_end_matches('/').to_owned());
    // object_store takes a custom endpoint as the bucket's own URL when
    // virtual-hosted: name the bucket in the host ourselves.
    let bucket_endpoint = match (&endpoint, s3.path_style) {
        (Some(endpoint), false) => Some(virtual_hosted_endpoint(endpoint, &s3.bucket)?),
        (endpoint, _) => endpoint.clone(),
    };
    builder = builder.with_virtual_hosted_style_request(!s3.path_style);
    if let Some(url) = &bucket_endpoint {
        // The S3 endpoint wins over a generic one from the environment.
        builder = builder
            .with_endpoint(url)
            .with_config(AmazonS3ConfigKey::S3Endpoint, url);
    }
    if s3.allow_http {
        builder = builder.with_allow_http(true);
    }
    let bucket: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
    let store: Arc<dyn ObjectStore> = if s3.prefix.is_empty() {
        bucket
    } else {
        Arc::new(PrefixStore::new(bucket, Path::from(s3.prefix.as_str())))
    };
    let mut description = format!("s3://{}/{}", s3.bucket, s3.prefix);
    if let Some(endpoint) = &endpoint {
        description.push_str(&format!(
            " at {}",
            myqa_core::config::mask_url_password(endpoint)
        ));
    }
    description.push_str(if s3.path_style {
        " (path-style)"
    } else {
        " (virtual-hosted)"
    });
    Ok(BlobStore {
        store,
        local_root: None,
        description,
    })
}

/// `https://s3.example.com` → `https://bucket.s3.example.com`: the bucket
/// names the host. An endpoint already naming the bucket is kept.
fn virtual_hosted_endpoint(endpoint: &str, bucket: &str) -> BlobResult<String> {
    let mut url = url::Url::parse(endpoint)
        .map_err(|e| BlobError::Config(format!("blob_s3_endpoint `{endpoint}`: {e}")))?;
    let host = match url.host() {
        Some(url::Host::Domain(host)) => host.to_owned(),
        _ => {
            return Err(BlobError::Config(format!(
                "blob_s3_endpoint `{endpoint}` has no host name to put the bucket in; set blob_s3_path_style"
            )));
        }
    };
    if !host.starts_with(&format!("{bucket}.")) {
        url.set_host(Some(&format!("{bucket}.{host}")))
            .map_err(|e| BlobError::Config(format!("bucket `{bucket}` in a host name: {e}")))?;
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_endpoints_name_the_bucket_in_the_host() {
        assert_eq!(
            virtual_hosted_endpoint("https://s3.example.com", "media").unwrap(),
            "https://media.s3.example.com"
        );
        assert_eq!(
            virtual_hosted_endpoint("https://minio.internal:9000/", "media").unwrap(),
            "https://media.minio.internal:9000"
        );
        assert_eq!(
            virtual_hosted_endpoint("https://media.s3.example.com", "media").unwrap(),
            "https://media.s3.example.com"
        );
        let error = virtual_hosted_endpoint("http://127.0.0.1:9000", "media").unwrap_err();
        assert!(error.to_string().contains("blob_s3_path_style"), "{error}");
    }
}
