export default function Home() {
  return (
    <main id="app-root-marker">
      <h1>Hello from Next.js</h1>
      <p>
        Edit <code>app/page.tsx</code> and save to see it change here.
      </p>
    </main>
  )
}
