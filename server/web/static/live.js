// /ws/events: the queue snapshot, then every event; reopened by itself after a drop, waiting
// longer each time (up to 10 s), at once when Studio asks for a fresh snapshot (1013).
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const CLOSE_BEHIND = 1013;
const CLOSE_REVOKED = 4401;

export class Live {
  constructor({ onMessage, onState, onRevoked }) {
    Object.assign(this, { onMessage, onState, onRevoked });
    this.delay = FIRST_DELAY_MS;
    this.socket = null;
    this.timer = null;
  }

  start() {
    this.stop();
    const url = new URL("/ws/events", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.onState("connecting", "Connecting…");
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = FIRST_DELAY_MS;
      this.onState("live", "Live");
    };
    socket.onmessage = (event) => this.onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (this.socket !== socket) return; // stopped on purpose
      this.socket = null;
      if (event.code === CLOSE_REVOKED) {
        this.onState("offline", "Signed out");
        this.onRevoked();
        return;
      }
      const delay = event.code === CLOSE_BEHIND ? 0 : this.delay;
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      this.onState("offline", `Offline: reconnecting in ${Math.ceil(delay / 1000)} s`);
      this.timer = setTimeout(() => this.start(), delay);
    };
  }

  stop() {
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }
}
