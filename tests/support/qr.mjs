// Reads a QR code the way a phone would: Chromium rasterises the SVG markup the shop renders, and
// jsQR (an independent decoder) reads the pixels. For the VietQR code (src/views/qr.rs):
//
//   const { page } = await openPage();
//   assert.equal(await decodeSvgQr(page, svgMarkup, 200), expectedPayload);
import jsQR from 'jsqr';

/**
 * The text of the QR code drawn by `svg` (an `<svg>` element's markup), rasterised by the page's
 * browser at `size` × `size` CSS pixels (any size: a module need not fall on whole pixels), or
 * null when no QR code can be read.
 */
export async function decodeSvgQr(page, svg, size) {
  const { width, height, pixels } = await page.evaluate(async ({ svg, size }) => {
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0, size, size);
    const data = context.getImageData(0, 0, size, size).data;
    let binary = '';
    for (let i = 0; i < data.length; i += 1) binary += String.fromCharCode(data[i]);
    return { width: size, height: size, pixels: btoa(binary) };
  }, { svg, size });
  const rgba = new Uint8ClampedArray(Buffer.from(pixels, 'base64'));
  const code = jsQR(rgba, width, height, { inversionAttempts: 'dontInvert' });
  return code ? code.data : null;
}
