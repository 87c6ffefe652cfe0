//! The request-response codec of the sync protocol: one length-prefixed frame each way.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use crate::wire::{MAX_FRAME, Request, Response};

/// The protocol name. The version changes whenever the frames do.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/weft/sync/1");

/// Bytes of sync frames sent and received, for `weft peers` and the benchmarks.
#[derive(Debug, Default)]
pub struct Traffic {
    pub sent: AtomicU64,
    pub received: AtomicU64,
}

#[derive(Debug, Clone, Default)]
pub struct Codec {
    pub traffic: Arc<Traffic>,
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is over the limit of {MAX_FRAME}"),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, bytes: Vec<u8>) -> io::Result<()> {
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|n| *n as usize <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame over the limit"))?;
    io.write_all(&len.to_le_bytes()).await?;
    io.write_all(&bytes).await?;
    io.close().await
}

fn invalid(e: crate::wire::WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl libp2p::request_response::Codec for Codec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Request> {
        let frame = read_frame(io).await?;
        self.traffic.received.fetch_add(frame.len() as u64 + 4, Ordering::Relaxed);
        Request::decode(&frame).map_err(invalid)
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Response> {
        let frame = read_frame(io).await?;
        self.traffic.received.fetch_add(frame.len() as u64 + 4, Ordering::Relaxed);
        Response::decode(&frame).map_err(invalid)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()> {
        let frame = req.encode();
        self.traffic.sent.fetch_add(frame.len() as u64 + 4, Ordering::Relaxed);
        write_frame(io, frame).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()> {
        let frame = res.encode();
        self.traffic.sent.fetch_add(frame.len() as u64 + 4, Ordering::Relaxed);
        write_frame(io, frame).await
    }
}
