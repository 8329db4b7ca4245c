// EVOM Studio entry: renders the app into #app.
import { render } from 'preact';

function App() {
  return <main><h1>EVOM Studio</h1></main>;
}

render(<App />, document.getElementById('app')!);
