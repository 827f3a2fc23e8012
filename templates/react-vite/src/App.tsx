import { useState } from 'react'

export default function App() {
  const [count, setCount] = useState(0)

  return (
    <main id="app-root-marker">
      <h1>Hello from React + Vite</h1>
      <p>Edit <code>src/App.tsx</code> and save to see it change here.</p>
      <button type="button" onClick={() => setCount((c) => c + 1)}>
        count is {count}
      </button>
    </main>
  )
}
