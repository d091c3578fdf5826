/**
 * The few browser APIs the demo page uses, typed by hand.
 *
 * purenn compiles with lib ES2022 and Node's types only — no DOM library — so
 * that no file can touch `document` by accident and still type-check. The
 * page is the one place that needs the DOM; rather than switch the DOM types
 * on for the whole project, it declares the handful of members it calls here
 * (names and signatures as in the DOM standard) and reaches them through
 * `browser`, which is simply globalThis.
 */

export interface Rect { left: number; top: number; width: number; height: number }

export interface PointerEventLike {
  clientX: number;
  clientY: number;
  pointerId: number;
  buttons: number;
  preventDefault(): void;
}

export interface ElementLike {
  textContent: string | null;
  className: string;
  /** Inputs: the text in the field. */
  value?: string;
  /** Buttons and inputs. */
  disabled?: boolean;
  /** Links. */
  href?: string;
  hidden?: boolean;
  readonly dataset: Record<string, string | undefined>;
  readonly style: Record<string, string>;
  readonly classList: { toggle(name: string, force?: boolean): boolean };
  appendChild<T extends ElementLike>(child: T): T;
  addEventListener(type: string, listener: (event: PointerEventLike) => void): void;
}

export interface ImageDataLike { readonly width: number; readonly height: number; readonly data: Uint8ClampedArray }

export interface Context2D {
  lineWidth: number;
  lineCap: string;
  lineJoin: string;
  strokeStyle: string;
  fillStyle: string;
  font: string;
  textAlign: string;
  globalAlpha: number;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, r: number, start: number, end: number): void;
  stroke(): void;
  fill(): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): ImageDataLike;
  createImageData(w: number, h: number): ImageDataLike;
  putImageData(image: ImageDataLike, x: number, y: number): void;
}

export interface CanvasLike extends ElementLike {
  width: number;
  height: number;
  getContext(kind: "2d", options?: { willReadFrequently?: boolean }): Context2D | null;
  getBoundingClientRect(): Rect;
  setPointerCapture(id: number): void;
}

export interface FileLike { readonly name: string; arrayBuffer(): Promise<ArrayBuffer>; text(): Promise<string> }

export interface FileInputLike extends ElementLike { readonly files: ArrayLike<FileLike> | null }

/** A Web Worker, seen from the page. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "error", listener: (event: { message: string }) => void): void;
}

export interface BrowserGlobals {
  document: {
    getElementById(id: string): ElementLike | null;
    createElement(tag: string): ElementLike;
    readonly body: ElementLike;
  };
  requestAnimationFrame(callback: () => void): number;
  location: { href: string };
  Worker: new (url: string, options?: { type: "module" | "classic" }) => WorkerLike;
  Blob: new (parts: string[], options: { type: string }) => object;
  URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  crossOriginIsolated?: boolean;
}

/** globalThis, seen as a browser window. */
export const browser = globalThis as unknown as BrowserGlobals;

/** The element with this id, as the type the page expects; throws a clear error when the page lacks it. */
export function byId<T extends ElementLike>(id: string): T {
  const found = browser.document.getElementById(id);
  if (!found) throw new Error(`page.html has no element with id "${id}"`);
  return found as T;
}
