//! A raw libp2p peer that writes whatever bytes it is told on Weft's sync protocol: frames
//! over the limit, frames that are no frame at all, lengths that lie. A weft-net peer cannot
//! send those (its codec refuses), so this one has a codec of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io;
use std::time::Duration;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, noise, tcp, yamux};
use tokio::sync::{mpsc, oneshot};
use weft_core::identity::Identity;

/// What to write on a stream: the bytes as they are (a length prefix is the caller's business).
#[derive(Debug, Clone)]
pub struct RawRequest(pub Vec<u8>);

#[derive(Debug, Clone, Default)]
struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = RawRequest;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<RawRequest> {
        let mut buf = Vec::new();
        io.take(16 << 20).read_to_end(&mut buf).await?;
        Ok(RawRequest(buf))
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut len = [0u8; 4];
        io.read_exact(&mut len).await?;
        let mut buf = Vec::new();
        io.take(u64::from(u32::from_le_bytes(len))).read_to_end(&mut buf).await?;
        Ok(buf)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: RawRequest,
    ) -> io::Result<()> {
        io.write_all(&req.0).await?;
        io.close().await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&res).await?;
        io.close().await
    }
}

enum Command {
    Dial(Multiaddr, oneshot::Sender<()>),
    Send { to: PeerId, bytes: Vec<u8>, reply: oneshot::Sender<Result<Vec<u8>, String>> },
}

/// The raw peer's handle.
pub struct RawPeer {
    pub id: Identity,
    pub peer: PeerId,
    commands: mpsc::Sender<Command>,
}

impl RawPeer {
    /// A raw peer with its own identity (an Ed25519 device key, so Weft takes it for a device).
    pub fn spawn(id: Identity) -> Self {
        let key = libp2p::identity::Keypair::ed25519_from_bytes(id.device_key().to_bytes()).unwrap();
        let peer = key.public().to_peer_id();
        let mut swarm: Swarm<request_response::Behaviour<RawCodec>> = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
            .unwrap()
            .with_behaviour(|_| {
                request_response::Behaviour::with_codec(
                    RawCodec,
                    [(StreamProtocol::new("/weft/sync/1"), ProtocolSupport::Full)],
                    request_response::Config::default().with_request_timeout(Duration::from_secs(30)),
                )
            })
            .unwrap()
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
            .build();
        let (commands, mut rx) = mpsc::channel::<Command>(64);
        tokio::spawn(async move {
            let mut waiting: std::collections::HashMap<OutboundRequestId, oneshot::Sender<Result<Vec<u8>, String>>> =
                Default::default();
            let mut dialing: Vec<oneshot::Sender<()>> = Vec::new();
            loop {
                tokio::select! {
                    command = rx.recv() => match command {
                        Some(Command::Dial(address, done)) => {
                            swarm.dial(address).unwrap();
                            dialing.push(done);
                        }
                        Some(Command::Send { to, bytes, reply }) => {
                            let id = swarm.behaviour_mut().send_request(&to, RawRequest(bytes));
                            waiting.insert(id, reply);
                        }
                        None => return,
                    },
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::ConnectionEstablished { .. } => {
                            for done in dialing.drain(..) {
                                let _ = done.send(());
                            }
                        }
                        SwarmEvent::Behaviour(request_response::Event::Message { message, .. }) => match message {
                            request_response::Message::Response { request_id, response } => {
                                if let Some(reply) = waiting.remove(&request_id) {
                                    let _ = reply.send(Ok(response));
                                }
                            }
                            // Requests to us (the honest peer pulling our people document) go
                            // unanswered.
                            request_response::Message::Request { .. } => {}
                        },
                        SwarmEvent::Behaviour(request_response::Event::OutboundFailure { request_id, error, .. }) => {
                            if let Some(reply) = waiting.remove(&request_id) {
                                let _ = reply.send(Err(error.to_string()));
                            }
                        }
                        _ => {}
                    },
                }
            }
        });
        Self { id, peer, commands }
    }

    pub async fn dial(&self, address: Multiaddr) {
        let (done, wait) = oneshot::channel();
        self.commands.send(Command::Dial(address, done)).await.unwrap();
        tokio::time::timeout(super::WAIT, wait).await.expect("connected in time").unwrap();
    }

    /// Writes `bytes` on a new sync stream to `to` and reads the answer (its length-prefixed
    /// body), or why there is none.
    pub async fn send(&self, to: PeerId, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Send { to, bytes, reply }).await.unwrap();
        tokio::time::timeout(super::WAIT, answer).await.expect("an answer or a failure in time").unwrap()
    }

    /// Sends a well-formed request, as a weft-net peer would.
    pub async fn request(&self, to: PeerId, request: &weft_net::Request) -> Result<weft_net::Response, String> {
        let body = request.encode();
        let mut bytes = u32::try_from(body.len()).unwrap().to_le_bytes().to_vec();
        bytes.extend(body);
        let answer = self.send(to, bytes).await?;
        weft_net::Response::decode(&answer).map_err(|e| e.to_string())
    }
}
