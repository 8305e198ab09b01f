// The JeroMQ peer: the interop steps of interop.c for JeroMQ 0.3.6 (Debian's libjeromq-java), which speaks
// only ZMTP 2.0, so every test against it exercises the other side's downgrade path. Implements the steps
// stream-send, stream-recv, req, rep, pub and sub.
//
//   java -cp jeromq.jar:DIR PeerJeromq SOCKET-TYPE bind|connect ENDPOINT|- STEPS
//
// Speaks the control protocol described in interop_driver.c on stdin/stdout; diagnostics go to stderr.
// README.md specifies the scripts; keep this file in step with interop.c and peer_pyzmq.py.

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZMQ;

public final class PeerJeromq {
    static final int IO_TIMEOUT_MS = 10000;
    static final int SYNC_TIMEOUT_MS = 10000;
    static final int SYNC_REPEAT_MS = 20;
    static final int DONE_TIMEOUT_MS = 60000;
    static final String WHO = "peer-jeromq";

    static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailed(String text) {
            super(text);
        }
    }

    static StepFailed fail(String text) {
        System.err.println(WHO + ": FAIL: " + text);
        System.err.flush();
        return new StepFailed(text);
    }

    // ---- control channel ----------------------------------------------------------------------------

    static final String EOF = "\u0000EOF";
    static final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    static void startReader() {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null)
                    lines.add(line);
            } catch (IOException e) {
                // treated as end of file
            }
            lines.add(EOF);
        });
        reader.setDaemon(true);
        reader.start();
    }

    static void ctlSend(String line) {
        System.out.print(line + "\n");
        System.out.flush();
    }

    // A line, or null on timeout.
    static String ctlRead(int timeoutMs) throws StepFailed {
        String line;
        try {
            line = lines.poll(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw fail("interrupted");
        }
        if (EOF.equals(line)) {
            lines.add(EOF);
            throw fail("control channel closed");
        }
        return line;
    }

    static void ctlExpect(String want, int timeoutMs) throws StepFailed {
        String line = ctlRead(timeoutMs);
        if (line == null)
            throw fail("no \"" + want + "\" on the control channel within " + timeoutMs + " ms");
        if (!line.equals(want))
            throw fail("waiting for \"" + want + "\", got \"" + line + "\"");
    }

    // ---- scripts (README.md) ------------------------------------------------------------------------

    // Byte j is (id*7 + f*13 + j) % 256.
    static byte[] fill(long id, long f, int n) {
        byte[] out = new byte[n];
        int start = (int) ((id * 7 + f * 13) & 0xff);
        for (int j = 0; j < n; j++)
            out[j] = (byte) (start + j);
        return out;
    }

    static byte[] str(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static final int[][] STREAM_SHAPES = {
        {1, 0, 17, 0}, {0}, {255}, {256}, {254, 255, 256, 257}, {0, 0, 0}, {5242880}, {1, 5242881},
    };
    static final int STREAM_BULK = 100000;
    static final int STREAM_COUNT = STREAM_SHAPES.length + STREAM_BULK;

    static byte[][] streamMsg(int m) {
        if (m < STREAM_SHAPES.length) {
            int[] shape = STREAM_SHAPES[m];
            byte[][] frames = new byte[shape.length][];
            for (int f = 0; f < shape.length; f++)
                frames[f] = fill(m, f, shape[f]);
            return frames;
        }
        int k = m - STREAM_SHAPES.length;
        byte[] tail = fill(m, 1, k % 13);
        byte[] frame = new byte[4 + tail.length];
        frame[0] = (byte) (k >>> 24);
        frame[1] = (byte) (k >>> 16);
        frame[2] = (byte) (k >>> 8);
        frame[3] = (byte) k;
        System.arraycopy(tail, 0, frame, 4, tail.length);
        return new byte[][] {frame};
    }

    static final int[][] RR_SHAPES = {
        {5}, {0}, {1, 0, 17, 0}, {0, 3}, {255}, {256}, {255, 256}, {65536}, {1, 1, 1, 1, 1, 1, 1, 1}, {300000},
    };
    static final int RR_COUNT = 200;

    static byte[][] rrMsg(long id, int[] shape) {
        byte[][] frames = new byte[shape.length][];
        for (int f = 0; f < shape.length; f++)
            frames[f] = fill(id, f, shape[f]);
        return frames;
    }

    static byte[][] rrRequest(int m) {
        return rrMsg(m, RR_SHAPES[m % RR_SHAPES.length]);
    }

    static byte[][] rrReply(int m) {
        return rrMsg(m + 1000, RR_SHAPES[(m + 3) % RR_SHAPES.length]);
    }

    static final class PubSpec {
        final boolean matches;
        final byte[][] frames;

        PubSpec(boolean matches, byte[]... frames) {
            this.matches = matches;
            this.frames = frames;
        }
    }

    static final PubSpec[] PUB_PHASE1 = {
        new PubSpec(true, str("A")),
        new PubSpec(true, str("A-1")),
        new PubSpec(false, str("B-no")),
        new PubSpec(true, str("BC-2")),
        new PubSpec(false, str("X-no")),
        new PubSpec(false, str("")),
        new PubSpec(true, str("ABC-3")),
        new PubSpec(false, str("Bx-no")),
        new PubSpec(true, str("A-multi"), str(""), fill(0, 0, 256)),
        new PubSpec(false, str("C-no")),
        new PubSpec(true, str("BC"), fill(0, 1, 255)),
        new PubSpec(false, str("a-no")),
        new PubSpec(true, str("A-END")),
    };
    static final PubSpec[] PUB_PHASE2 = {
        new PubSpec(false, str("A-gone")),
        new PubSpec(true, str("Z-1")),
        new PubSpec(true, str("BC-3")),
        new PubSpec(false, str("b")),
        new PubSpec(true, str("Z-END")),
    };

    // ---- send, receive, compare ---------------------------------------------------------------------

    static void sendMsg(ZMQ.Socket sock, byte[][] frames, String what, int m) throws StepFailed {
        for (int f = 0; f < frames.length; f++) {
            boolean more = f + 1 < frames.length;
            if (!sock.send(frames[f], more ? ZMQ.SNDMORE : 0))
                throw fail(what + " " + m + ": send of frame " + f + " failed or timed out");
        }
    }

    static byte[][] recvMsg(ZMQ.Socket sock, String what, int m) throws StepFailed {
        List<byte[]> frames = new ArrayList<>();
        do {
            byte[] frame = sock.recv(0);
            if (frame == null)
                throw fail(what + " " + m + ": recv of frame " + frames.size() + " failed or timed out");
            frames.add(frame);
        } while (sock.hasReceiveMore());
        return frames.toArray(new byte[0][]);
    }

    static void compare(byte[][] got, byte[][] want, String what, int m) throws StepFailed {
        if (got.length != want.length)
            throw fail(what + " " + m + ": got " + got.length + " frames, want " + want.length);
        for (int f = 0; f < want.length; f++) {
            if (got[f].length != want[f].length)
                throw fail(what + " " + m + " frame " + f + ": got " + got[f].length + " bytes, want " + want[f].length);
            if (!Arrays.equals(got[f], want[f])) {
                for (int j = 0; j < want[f].length; j++)
                    if (got[f][j] != want[f][j])
                        throw fail(String.format("%s %d frame %d byte %d: got 0x%02x, want 0x%02x", what, m, f, j,
                                got[f][j] & 0xff, want[f][j] & 0xff));
            }
        }
    }

    static void recvExpect(ZMQ.Socket sock, byte[][] want, String what, int m) throws StepFailed {
        compare(recvMsg(sock, what, m), want, what, m);
    }

    // ---- steps --------------------------------------------------------------------------------------

    static void stepStreamSend(ZMQ.Socket sock) throws StepFailed {
        for (int m = 0; m < STREAM_COUNT; m++)
            sendMsg(sock, streamMsg(m), "stream message", m);
    }

    static void stepStreamRecv(ZMQ.Socket sock) throws StepFailed {
        for (int m = 0; m < STREAM_COUNT; m++)
            recvExpect(sock, streamMsg(m), "stream message", m);
    }

    static void stepReq(ZMQ.Socket sock) throws StepFailed {
        for (int m = 0; m < RR_COUNT; m++) {
            sendMsg(sock, rrRequest(m), "request", m);
            recvExpect(sock, rrReply(m), "reply", m);
        }
    }

    static void stepRep(ZMQ.Socket sock) throws StepFailed {
        for (int m = 0; m < RR_COUNT; m++) {
            recvExpect(sock, rrRequest(m), "request", m);
            sendMsg(sock, rrReply(m), "reply", m);
        }
    }

    static boolean isSingle(byte[][] got, byte[] text) {
        return got.length == 1 && Arrays.equals(got[0], text);
    }

    static void pubSync(ZMQ.Socket sock, String syncText, String confirm) throws StepFailed {
        long deadline = System.nanoTime() + SYNC_TIMEOUT_MS * 1000000L;
        while (System.nanoTime() < deadline) {
            sendMsg(sock, new byte[][] {str(syncText)}, "sync", 0);
            String line = ctlRead(SYNC_REPEAT_MS);
            if (line == null)
                continue;
            if (line.equals(confirm))
                return;
            throw fail("waiting for \"" + confirm + "\", the other side said \"" + line + "\"");
        }
        throw fail("subscriber never confirmed \"" + confirm + "\" within " + SYNC_TIMEOUT_MS + " ms");
    }

    static void subPhase(ZMQ.Socket sock, String syncText, String confirm, PubSpec[] specs) throws StepFailed {
        byte[] sync = str(syncText);
        if (!isSingle(recvMsg(sock, "waiting for sync message", 0), sync))
            throw fail("waiting for \"" + syncText + "\", got another message");
        ctlSend(confirm);
        boolean first = true;
        for (int i = 0; i < specs.length; i++) {
            if (!specs[i].matches)
                continue;
            byte[][] got;
            do {
                got = recvMsg(sock, "published message", i);
            } while (first && isSingle(got, sync));
            first = false;
            compare(got, specs[i].frames, "published message (index in the publisher's list)", i);
        }
    }

    static void pubPhase(ZMQ.Socket sock, PubSpec[] specs) throws StepFailed {
        for (int i = 0; i < specs.length; i++)
            sendMsg(sock, specs[i].frames, "published message", i);
    }

    static void stepPub(ZMQ.Socket sock) throws StepFailed {
        pubSync(sock, "A-sync", "SYNCED A");
        pubPhase(sock, PUB_PHASE1);
        pubSync(sock, "Z-sync", "SYNCED Z");
        pubPhase(sock, PUB_PHASE2);
    }

    static void stepSub(ZMQ.Socket sock) throws StepFailed {
        sock.subscribe(str("A"));
        sock.subscribe(str("BC"));
        subPhase(sock, "A-sync", "SYNCED A", PUB_PHASE1);
        sock.unsubscribe(str("A"));
        sock.subscribe(str("Z"));
        subPhase(sock, "Z-sync", "SYNCED Z", PUB_PHASE2);
    }

    static void runStep(ZMQ.Socket sock, String step) throws StepFailed {
        switch (step) {
            case "stream-send": stepStreamSend(sock); break;
            case "stream-recv": stepStreamRecv(sock); break;
            case "req": stepReq(sock); break;
            case "rep": stepRep(sock); break;
            case "pub": stepPub(sock); break;
            case "sub": stepSub(sock); break;
            default: throw fail("step \"" + step + "\" is not implemented by the JeroMQ peer");
        }
    }

    static int socketType(String name) throws StepFailed {
        switch (name) {
            case "PUB": return ZMQ.PUB;
            case "SUB": return ZMQ.SUB;
            case "REQ": return ZMQ.REQ;
            case "REP": return ZMQ.REP;
            case "PULL": return ZMQ.PULL;
            case "PUSH": return ZMQ.PUSH;
            default: throw fail("socket type " + name + " is not used with the JeroMQ peer");
        }
    }

    // The Bundle-Version of the jar ZMQ was loaded from (the jar carries no Implementation-Version).
    static String jeromqVersion() {
        try {
            java.net.URL jar = ZMQ.class.getProtectionDomain().getCodeSource().getLocation();
            try (java.util.jar.JarFile file = new java.util.jar.JarFile(new java.io.File(jar.toURI()))) {
                return file.getManifest().getMainAttributes().getValue("Bundle-Version") + " jar=" + jar.getPath();
            }
        } catch (Exception e) {
            return "unknown";
        }
    }

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: PeerJeromq SOCKET-TYPE bind|connect ENDPOINT|- STEPS");
            System.exit(2);
        }
        String typeName = args[0], mode = args[1], endpoint = args[2], steps = args[3];
        startReader();
        ctlSend("HELLO impl=jeromq version=" + jeromqVersion() + " zmq-api="
                + ZMQ.getVersionString() + " java=" + System.getProperty("java.version") + " lib=-");
        int rc = 1;
        ZMQ.Context ctx = ZMQ.context(1);
        ZMQ.Socket sock = null;
        try {
            sock = ctx.socket(socketType(typeName));
            sock.setReceiveTimeOut(IO_TIMEOUT_MS);
            sock.setSendTimeOut(IO_TIMEOUT_MS);
            if (mode.equals("bind")) {
                int port = sock.bindToRandomPort("tcp://127.0.0.1");
                ctlSend("ENDPOINT tcp://127.0.0.1:" + port);
            } else {
                sock.connect(endpoint);
            }
            ctlSend("READY");
            for (String step : steps.split(","))
                runStep(sock, step);
            ctlSend("OK");
            ctlExpect("DONE", DONE_TIMEOUT_MS);
            rc = 0;
        } catch (StepFailed e) {
            ctlSend("FAIL " + e.getMessage());
        } catch (RuntimeException e) {
            System.err.println(WHO + ": FAIL: " + e);
            ctlSend("FAIL " + e);
        } finally {
            if (sock != null) {
                sock.setLinger(0);
                sock.close();
            }
            ctx.term();
        }
        System.exit(rc);
    }
}
