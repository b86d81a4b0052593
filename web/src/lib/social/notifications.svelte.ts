// The signed-in account's notifications, shared by the header's bell: loaded on sign-in (what
// arrived while away shows as unread), and added to at once by the chat socket's `notification`
// events while the site is open.
import type { Notification } from '@vilokanam/contracts/chat';
import { ApiError } from '#lib/api.ts';
import { errorMessage } from '#lib/errors.ts';
import { getNotifications, markNotificationsRead } from './api.ts';

/** The bell lists this many; older ones stay on the server. */
const KEEP = 30;

class Notifications {
  list = $state.raw<Notification[]>([]);
  unread = $state(0);
  error = $state<string | null>(null);

  async load(): Promise<void> {
    try {
      const answer = await getNotifications();
      this.list = answer.notifications.slice(0, KEEP);
      this.unread = answer.unread;
      this.error = null;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) this.error = errorMessage(e);
    }
  }

  /** A live event: first in the list and unread, once however often it is delivered. */
  add(notification: Notification): void {
    if (this.list.some((n) => n.id === notification.id)) return;
    this.list = [notification, ...this.list].slice(0, KEEP);
    if (!notification.read) this.unread += 1;
  }

  async markAllRead(): Promise<void> {
    const ids = this.list.filter((n) => !n.read).map((n) => n.id);
    if (ids.length === 0 && this.unread === 0) return;
    // Unread ones older than the list holds are marked too: without ids, the server marks all.
    const which = this.unread > ids.length ? undefined : ids;
    this.list = this.list.map((n) => (n.read ? n : { ...n, read: true }));
    this.unread = 0;
    try {
      await markNotificationsRead(which);
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  clear(): void {
    this.list = [];
    this.unread = 0;
    this.error = null;
  }
}

export const notifications = new Notifications();
