/**
 * Doubly linked lists (include/linux/list.h) with their list_head in simulated memory:
 * next and prev are real kernel addresses, and list_del() poisons them.
 */
import { read64, write64, write64parts, read64hi } from '../../sim/memory.ts';
import { LIST_POISON1, LIST_POISON2, POISON_POINTER_DELTA_HI } from './poison.ts';
import { KernelBug } from '../../sim/errors.ts';

export const LIST_HEAD_SIZE = 16;

/** struct list_head: a view over two words at `addr`. */
export class ListHead {
  constructor(readonly addr: number) {}
  get next(): number {
    return read64(this.addr);
  }
  set next(v: number) {
    write64(this.addr, v);
  }
  get prev(): number {
    return read64(this.addr + 8);
  }
  set prev(v: number) {
    write64(this.addr + 8, v);
  }
}

export function INIT_LIST_HEAD(list: ListHead): void {
  list.next = list.addr;
  list.prev = list.addr;
}

function __list_add(entry: ListHead, prev: number, next: number): void {
  // CONFIG_DEBUG_LIST: the neighbours must still point at each other.
  if (read64(next + 8) !== prev || read64(prev) !== next) {
    throw new KernelBug(`list_add corruption. prev->next should be next, next->prev should be prev (prev=${prev.toString(16)}, next=${next.toString(16)})`);
  }
  write64(next + 8, entry.addr);
  entry.next = next;
  entry.prev = prev;
  write64(prev, entry.addr);
}

/** Insert `entry` right after `head` (stack order). */
export function list_add(entry: ListHead, head: ListHead): void {
  __list_add(entry, head.addr, head.next);
}

/** Insert `entry` right before `head` (queue order). */
export function list_add_tail(entry: ListHead, head: ListHead): void {
  __list_add(entry, head.prev, head.addr);
}

/** Kernel pointers fit 48 bits; anything above is a poison value or garbage. */
const NON_CANONICAL = 2 ** 48;

function __list_del_entry(entry: ListHead): void {
  const next = entry.next;
  if (next >= NON_CANONICAL) {
    throw new KernelBug(`list_del corruption, ${entry.addr.toString(16)}->next is ${list_is_poisoned(entry) ? 'LIST_POISON1' : 'non-canonical'}`);
  }
  const prev = entry.prev;
  if (read64(prev) !== entry.addr || read64(next + 8) !== entry.addr) {
    throw new KernelBug(`list_del corruption. prev->next should be ${entry.addr.toString(16)}`);
  }
  write64(next + 8, prev);
  write64(prev, next);
}

/** Unlink `entry` and poison it so that a later use is caught. */
export function list_del(entry: ListHead): void {
  __list_del_entry(entry);
  write64parts(entry.addr, LIST_POISON1.hi, LIST_POISON1.lo);
  write64parts(entry.addr + 8, LIST_POISON2.hi, LIST_POISON2.lo);
}

export function list_del_init(entry: ListHead): void {
  __list_del_entry(entry);
  INIT_LIST_HEAD(entry);
}

export function list_move(entry: ListHead, head: ListHead): void {
  __list_del_entry(entry);
  list_add(entry, head);
}

export function list_move_tail(entry: ListHead, head: ListHead): void {
  __list_del_entry(entry);
  list_add_tail(entry, head);
}

export function list_empty(head: ListHead): boolean {
  return head.next === head.addr;
}

export function list_is_poisoned(entry: ListHead): boolean {
  return read64hi(entry.addr) === POISON_POINTER_DELTA_HI;
}

/** Addresses of the entries on `head`, first to last (list_for_each). */
export function list_entries(head: ListHead): number[] {
  const out: number[] = [];
  for (let pos = head.next; pos !== head.addr; pos = read64(pos)) out.push(pos);
  return out;
}

export function list_count(head: ListHead): number {
  let n = 0;
  for (let pos = head.next; pos !== head.addr; pos = read64(pos)) n++;
  return n;
}

/** A view class whose embedded list_heads have known offsets (offsetof). */
export interface ListOwner<T> {
  new (addr: number): T;
  readonly OFFSETOF: { readonly [K in keyof T]?: number };
}

/** container_of(ptr, type, member): the object whose `member` list_head is at `ptr`. */
export function list_entry<T, K extends keyof T & string>(ptr: number, type: ListOwner<T>, member: K): T {
  const off = type.OFFSETOF[member];
  if (off === undefined) throw new KernelBug(`list_entry: ${member} is not an embedded list_head`);
  return new type(ptr - off);
}

export function list_first_entry<T, K extends keyof T & string>(head: ListHead, type: ListOwner<T>, member: K): T {
  return list_entry(head.next, type, member);
}

export function list_first_entry_or_null<T, K extends keyof T & string>(head: ListHead, type: ListOwner<T>, member: K): T | null {
  return list_empty(head) ? null : list_entry(head.next, type, member);
}

export function list_last_entry<T, K extends keyof T & string>(head: ListHead, type: ListOwner<T>, member: K): T {
  return list_entry(head.prev, type, member);
}

/** list_for_each_entry: the entries in order (safe against removal of the current entry). */
export function list_for_each_entry<T, K extends keyof T & string>(head: ListHead, type: ListOwner<T>, member: K): T[] {
  return list_entries(head).map((pos) => list_entry(pos, type, member));
}
