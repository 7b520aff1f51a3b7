"""A well-formed WebRTC offer (audio and video, bundled) and ICE candidates, as browsers send."""

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=msid-semantic: WMS stream",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Xk3b",
        "a=ice-pwd:0123456789abcdefghijklmn",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 06:95:A1:C2:7A:53:FD:7F:03:4A:A8:FC:ED:7B:E5:61:"
        "EA:E1:3E:0B:2B:0D:45:C5:2F:1A:1D:F8:EA:E3:05:E9",
        "a=setup:actpass",
        "a=mid:0",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:0 PCMU/8000",
        "a=ssrc:1001 cname:abc",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Xk3b",
        "a=ice-pwd:0123456789abcdefghijklmn",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 06:95:A1:C2:7A:53:FD:7F:03:4A:A8:FC:ED:7B:E5:61:"
        "EA:E1:3E:0B:2B:0D:45:C5:2F:1A:1D:F8:EA:E3:05:E9",
        "a=setup:actpass",
        "a=mid:1",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=ssrc:2002 cname:abc",
        "",
    ]
)
ANSWER = OFFER.replace("a=setup:actpass", "a=setup:active")
HOST_CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}
RELAY_CANDIDATE = {
    "candidate": "candidate:1 1 udp 41885439 127.0.0.1 50000 typ relay raddr 0.0.0.0 rport 0",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}
