/** The page shell. The interactive app (drop an image, watch the model decide) builds on it. */
export function App() {
  return (
    <main
      style={{
        maxWidth: '42rem',
        margin: '3rem auto',
        padding: '0 1rem',
        fontFamily: 'system-ui, sans-serif',
        lineHeight: 1.5,
      }}
    >
      <h1>VisionThink Web</h1>
      <p>
        A vision-language model that looks at your image at a quarter of the resolution first and asks for the full
        image only when it needs the detail, so most questions cost a fraction of the visual tokens. Everything runs in
        your browser; images never leave your device.
      </p>
      <p>
        The interactive app is on its way. Today the engine runs from the command line:{' '}
        <code>npm run ask -- --image photo.png --question &quot;What colour is it?&quot;</code>
      </p>
    </main>
  );
}
