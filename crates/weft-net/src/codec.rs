//! The request-response codec of the sync protocol: one length-prefixed frame each way.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use crate::wire::{MAX_FRAME, Request, Response, WireError};

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

/// What a peer's request stream held: a request, or bytes that are none. libp2p drops a
/// request the codec fails to read without a word to anyone, so the codec reads such bytes as
/// `Unreadable`: the swarm refuses them in words and tells the node of a peer at fault.
#[derive(Debug, Clone)]
pub enum Framed {
    Request(Request),
    /// Not a frame we read; `fault` is false for a frame of another version (no fault of the
    /// peer's, and nothing to hold against it).
    Unreadable {
        why: String,
        fault: bool,
    },
}

/// Reads a frame's length, refusing one over the limit before anything else is read.
async fn read_len<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Result<usize, String>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Ok(Err(format!("a frame of {len} bytes is over the limit of {MAX_FRAME}")));
    }
    Ok(Ok(len))
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Vec<u8>> {
    match read_len(io).await? {
        Ok(len) => read_body(io, len).await,
        Err(why) => Err(io::Error::new(io::ErrorKind::InvalidData, why)),
    }
}

async fn read_body<T: AsyncRead + Unpin + Send>(io: &mut T, len: usize) -> io::Result<Vec<u8>> {
    // The buffer grows with the bytes that actually come, never to the length a peer claims:
    // a peer that announces 8 MiB and sends a few bytes holds a few bytes of ours.
    let mut buf = Vec::with_capacity(len.min(READ_AHEAD));
    io.take(len as u64).read_to_end(&mut buf).await?;
    if buf.len() < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the frame ended after {} of {len} bytes", buf.len()),
        ));
    }
    Ok(buf)
}

/// What is set aside for a frame before its bytes come.
const READ_AHEAD: usize = 64 << 10;

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, bytes: Vec<u8>) -> io::Result<()> {
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|n| *n as usize <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame over the limit"))?;
    io.write_all(&len.to_le_bytes()).await?;
    io.write_all(&bytes).await?;
    io.close().await
}

fn invalid(e: WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl libp2p::request_response::Codec for Codec {
    type Protocol = StreamProtocol;
    type Request = Framed;
    type Response = Response;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Framed> {
        let len = match read_len(io).await? {
            Ok(len) => len,
            // Refused from its length alone: not a byte more is read.
            Err(why) => return Ok(Framed::Unreadable { why, fault: true }),
        };
        let frame = read_body(io, len).await?;
        self.traffic.received.fetch_add(frame.len() as u64 + 4, Ordering::Relaxed);
        Ok(match Request::decode(&frame) {
            Ok(request) => Framed::Request(request),
            Err(e @ WireError::Version(_)) => Framed::Unreadable { why: e.to_string(), fault: false },
            Err(e) => Framed::Unreadable { why: e.to_string(), fault: true },
        })
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
        req: Framed,
    ) -> io::Result<()> {
        let Framed::Request(req) = req else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "only a request is sent"));
        };
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
