// The studio's camera and microphone as reactive state: which devices exist, which are
// selected, and the MediaStream feeding both the preview and the publisher.
import { listDevices, mediaErrorMessage, openMedia, openTrack, stopMedia, type DeviceLists } from './media.ts';

export class StudioMedia {
  stream = $state.raw<MediaStream | null>(null);
  error = $state<string | null>(null);
  devices = $state.raw<DeviceLists>({ cameras: [], microphones: [] });
  cameraId = $state('');
  micId = $state('');

  readonly #refresh = () => void listDevices().then((d) => (this.devices = d));

  /** Ask for camera + mic (prompting on first use) and list devices once allowed. */
  async open(): Promise<void> {
    this.error = null;
    try {
      const next = await openMedia(this.cameraId || undefined, this.micId || undefined);
      stopMedia(this.stream);
      this.stream = next;
      // Labels and stable ids are only available once permission has been granted.
      this.devices = await listDevices();
      this.cameraId = next.getVideoTracks()[0]?.getSettings().deviceId ?? this.devices.cameras[0]?.deviceId ?? '';
      this.micId = next.getAudioTracks()[0]?.getSettings().deviceId ?? this.devices.microphones[0]?.deviceId ?? '';
      navigator.mediaDevices.addEventListener('devicechange', this.#refresh);
    } catch (e) {
      this.error = mediaErrorMessage(e);
    }
  }

  /**
   * Switch one device. `handOver` receives the new track before the old one is
   * stopped, so a live broadcast swaps sources without a gap.
   */
  async switchDevice(kind: 'audio' | 'video', deviceId: string, handOver?: (track: MediaStreamTrack) => Promise<void>) {
    const current = this.stream;
    if (!current || !deviceId) return;
    try {
      const track = await openTrack(kind, deviceId);
      await handOver?.(track);
      const old = current.getTracks().filter((t) => t.kind === kind);
      this.stream = new MediaStream([...current.getTracks().filter((t) => t.kind !== kind), track]);
      for (const t of old) t.stop();
      if (kind === 'video') this.cameraId = deviceId;
      else this.micId = deviceId;
      this.error = null;
    } catch (e) {
      this.error = mediaErrorMessage(e);
    }
  }

  close(): void {
    navigator.mediaDevices?.removeEventListener('devicechange', this.#refresh);
    stopMedia(this.stream);
    this.stream = null;
  }
}
