// Camera/microphone acquisition for the studio. Device labels are only exposed after
// permission is granted, so devices are listed after the first getUserMedia succeeds.

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

export interface DeviceLists {
  cameras: DeviceChoice[];
  microphones: DeviceChoice[];
}

const VIDEO_QUALITY: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
};

export async function openMedia(cameraId?: string, micId?: string): Promise<MediaStream> {
  const video: MediaTrackConstraints = cameraId ? { ...VIDEO_QUALITY, deviceId: { exact: cameraId } } : VIDEO_QUALITY;
  const audio: MediaTrackConstraints | true = micId ? { deviceId: { exact: micId } } : true;
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio });
  } catch (error) {
    if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error;
    // One kind is missing (say, no microphone): broadcast whatever does exist.
    for (const constraints of [{ video }, { audio }]) {
      try {
        return await navigator.mediaDevices.getUserMedia(constraints);
      } catch {
        // try the next kind
      }
    }
    throw error;
  }
}

/** Open only one kind, used when switching a single device while the other keeps running. */
export async function openTrack(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === 'video'
      ? { video: { ...VIDEO_QUALITY, deviceId: { exact: deviceId } } }
      : { audio: { deviceId: { exact: deviceId } } },
  );
  const track = stream.getTracks()[0];
  if (!track) throw new Error(`No ${kind} track from the selected device`);
  return track;
}

export async function listDevices(): Promise<DeviceLists> {
  const all = await navigator.mediaDevices.enumerateDevices();
  const pick = (kind: MediaDeviceKind, fallback: string) =>
    all
      .filter((d) => d.kind === kind && d.deviceId)
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
  return { cameras: pick('videoinput', 'Camera'), microphones: pick('audioinput', 'Microphone') };
}

export function stopMedia(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export function mediaErrorMessage(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
      return 'Camera and microphone access was blocked. Allow it in your browser and try again.';
    case 'NotFoundError':
      return 'No camera or microphone was found.';
    case 'NotReadableError':
      return 'Your camera or microphone is in use by another application.';
    case 'OverconstrainedError':
      return 'The selected device is no longer available.';
    default:
      return error instanceof Error ? error.message : 'Could not open the camera or microphone.';
  }
}
