/** Entropy decoding of one JPEG scan, baseline and progressive (T.81 F.2 and G.1.2). */
import { corrupt } from '../../errors';
import { type BitReader, type HuffmanTable } from './huffman';
import { type JpegComponent, type JpegFrame, ZIGZAG } from './frame';

export interface ScanComponent {
  comp: JpegComponent;
  dc: HuffmanTable | undefined;
  ac: HuffmanTable | undefined;
}

export interface ScanParams {
  ss: number;
  se: number;
  ah: number;
  al: number;
  restartInterval: number;
}

type BlockDecoder = (sc: ScanComponent, base: number) => void;

export function decodeScan(frame: JpegFrame, scomps: ScanComponent[], p: ScanParams, r: BitReader): void {
  let eobrun = 0;
  const { ss, se, ah, al } = p;
  const need = (t: HuffmanTable | undefined): HuffmanTable => {
    if (!t) throw corrupt('A JPEG scan uses an undefined Huffman table.');
    return t;
  };

  const baseline: BlockDecoder = (sc, base) => {
    const c = sc.comp.coefs;
    const t = r.decode(need(sc.dc));
    sc.comp.dcPred += t === 0 ? 0 : r.extend(t);
    c[base] = sc.comp.dcPred;
    const ac = need(sc.ac);
    for (let k = 1; k < 64; ) {
      const rs = r.decode(ac);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run < 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw corrupt('A JPEG block has too many coefficients.');
      c[base + ZIGZAG[k]!] = r.extend(s);
      k++;
    }
  };
  const dcFirst: BlockDecoder = (sc, base) => {
    const t = r.decode(need(sc.dc));
    sc.comp.dcPred += t === 0 ? 0 : r.extend(t);
    sc.comp.coefs[base] = sc.comp.dcPred * (1 << al);
  };
  const dcRefine: BlockDecoder = (sc, base) => {
    if (r.bit()) sc.comp.coefs[base]! |= 1 << al;
  };
  const acFirst: BlockDecoder = (sc, base) => {
    if (eobrun > 0) {
      eobrun--;
      return;
    }
    const c = sc.comp.coefs;
    const ac = need(sc.ac);
    for (let k = ss; k <= se; ) {
      const rs = r.decode(ac);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run < 15) {
          eobrun = (1 << run) - 1;
          if (run) eobrun += r.bits(run);
          break;
        }
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw corrupt('A JPEG block has too many coefficients.');
      c[base + ZIGZAG[k]!] = r.extend(s) * (1 << al);
      k++;
    }
  };
  const acRefine: BlockDecoder = (sc, base) => {
    const c = sc.comp.coefs;
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    if (eobrun === 0) {
      const ac = need(sc.ac);
      for (; k <= se; k++) {
        const rs = r.decode(ac);
        let run = rs >> 4;
        let s = rs & 15;
        if (s) {
          if (s !== 1) throw corrupt('A JPEG refinement scan is malformed.');
          s = r.bit() ? p1 : m1;
        } else if (run !== 15) {
          eobrun = 1 << run;
          if (run) eobrun += r.bits(run);
          break;
        }
        while (k <= se) {
          const pos = base + ZIGZAG[k]!;
          const coef = c[pos]!;
          if (coef !== 0) {
            if (r.bit() && (coef & p1) === 0) c[pos] = coef >= 0 ? coef + p1 : coef + m1;
          } else {
            if (--run < 0) break;
          }
          k++;
        }
        if (s && k <= 63) c[base + ZIGZAG[k]!] = s;
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const pos = base + ZIGZAG[k]!;
        const coef = c[pos]!;
        if (coef !== 0 && r.bit() && (coef & p1) === 0) c[pos] = coef >= 0 ? coef + p1 : coef + m1;
      }
      eobrun--;
    }
  };

  let decodeBlock: BlockDecoder;
  if (!frame.progressive) decodeBlock = baseline;
  else if (ss === 0) decodeBlock = ah === 0 ? dcFirst : dcRefine;
  else decodeBlock = ah === 0 ? acFirst : acRefine;

  for (const sc of scomps) sc.comp.dcPred = 0;
  const single = scomps.length === 1;
  const units = single ? scomps[0]!.comp.blocksW * scomps[0]!.comp.blocksH : frame.mcusX * frame.mcusY;
  const ri = p.restartInterval;
  for (let u = 0; u < units; u++) {
    if (ri > 0 && u > 0 && u % ri === 0) {
      r.restart();
      eobrun = 0;
      for (const sc of scomps) sc.comp.dcPred = 0;
    }
    if (single) {
      const sc = scomps[0]!;
      const row = Math.floor(u / sc.comp.blocksW);
      const col = u % sc.comp.blocksW;
      decodeBlock(sc, (row * sc.comp.blocksPerLine + col) * 64);
    } else {
      const my = Math.floor(u / frame.mcusX);
      const mx = u % frame.mcusX;
      for (const sc of scomps) {
        const { h, v, blocksPerLine } = sc.comp;
        for (let by = 0; by < v; by++) {
          for (let bx = 0; bx < h; bx++) {
            decodeBlock(sc, ((my * v + by) * blocksPerLine + mx * h + bx) * 64);
          }
        }
      }
    }
  }
}
